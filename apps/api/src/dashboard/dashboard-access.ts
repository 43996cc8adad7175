import { Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService, auditActor } from '@app/audit';
import {
  AppConfig,
  buildProblem,
  classifyError,
  PROBLEM_CONTENT_TYPE,
  requestMeta,
  type AdminPrincipal,
} from '@app/common';
import { AdminBrowserSessionsService, AuthenticationFailed, type BrowserSignIn } from '@app/identity';
import {
  DASHBOARD_COOKIE_PATH,
  expiredCookie,
  readCookie,
  serializeCookie,
  SESSION_COOKIE,
  SIGN_IN_PATH,
  XSRF_COOKIE,
} from './dashboard-cookies';
import { crossSiteReason, isNavigation, ownOrigins, type CrossSiteReason } from './request-origin';
import type { SignInMessage } from './sign-in-page';

/**
 * The cookie side of the queue dashboard, shared by the board and its sign-in/sign-out pages:
 * reading and checking the session cookie (audited like a bearer refusal), the CSRF and origin
 * checks, setting and clearing the cookies, sending the browser back to the sign-in page.
 */
export class DashboardAccess {
  private readonly logger = new Logger('QueueDashboard');

  constructor(
    readonly sessions: AdminBrowserSessionsService,
    private readonly audit: AuditService,
    private readonly config: AppConfig,
  ) {}

  sessionHandle(request: FastifyRequest): string | undefined {
    return readCookie(request.headers.cookie, SESSION_COOKIE);
  }

  /**
   * The admin behind the request's session cookie. A page opened or a change made counts as
   * activity; the board's background reads do not. A refusal is audited (`access.authenticate`)
   * and AuthenticationFailed is thrown for the caller to answer.
   */
  async principalOf(request: FastifyRequest, reply: FastifyReply, handle: string): Promise<AdminPrincipal> {
    const activity =
      isNavigation(request.method, request.headers) || !['GET', 'HEAD'].includes(request.method);
    try {
      return await this.sessions.resolve(handle, { activity });
    } catch (error) {
      if (!(error instanceof AuthenticationFailed)) throw error;
      // A page opened is answered with the sign-in page, which clears the dead cookies and says the
      // session ended; the board's background reads get 401 and leave them for that page to clear.
      const navigation = isNavigation(request.method, request.headers);
      if (navigation) this.clearCookies(reply);
      await this.audit.recordStandalone({
        ...auditActor({ request: requestMeta(request) }),
        action: 'access.authenticate',
        outcome: 'failure',
        statusCode: navigation ? 303 : 401,
        reason: error.reason,
      });
      throw error;
    }
  }

  crossSite(request: FastifyRequest): CrossSiteReason | null {
    return crossSiteReason(request.headers, ownOrigins(this.config.auth.issuer, request.host));
  }

  setCookies(reply: FastifyReply, signIn: BrowserSignIn): void {
    void reply.header('set-cookie', [
      serializeCookie(SESSION_COOKIE, signIn.handle, { httpOnly: true, path: DASHBOARD_COOKIE_PATH }),
      serializeCookie(XSRF_COOKIE, signIn.csrfToken, { httpOnly: false, path: DASHBOARD_COOKIE_PATH }),
    ]);
  }

  clearCookies(reply: FastifyReply): void {
    void reply.header('set-cookie', [
      expiredCookie(SESSION_COOKIE, DASHBOARD_COOKIE_PATH, true),
      expiredCookie(XSRF_COOKIE, DASHBOARD_COOKIE_PATH, false),
    ]);
  }

  redirectToSignIn(reply: FastifyReply, message?: SignInMessage): FastifyReply {
    return reply
      .code(303)
      .header('location', message ? `${SIGN_IN_PATH}?message=${message}` : SIGN_IN_PATH)
      .send();
  }

  /** Our problem+json for an error outside Nest's router; the detail of a 5xx goes to the log only. */
  sendProblem(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
    const classified = classifyError(error);
    if (classified.unexpected)
      this.logger.error({ err: error, requestId: request.id }, 'dashboard request failed');
    const problem = buildProblem(
      classified.type,
      request.id,
      classified.unexpected ? undefined : classified.detail,
    );
    return reply
      .code(problem.status)
      .headers(classified.headers ?? {})
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(problem));
  }
}
