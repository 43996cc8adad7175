import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AccessDenied } from '@app/common';
import { AuthenticationFailed } from '@app/identity';
import type { RateLimitsService } from '../gateway/rate-limits.service';
import { rateLimitHeaders } from '../gateway/rate-limit-headers';
import type { DashboardAccess } from './dashboard-access';
import {
  readCookie,
  serializeCookie,
  SIGN_IN_COOKIE,
  SIGN_IN_FORM_MAX_AGE_S,
  SIGN_IN_PATH,
  SIGN_OUT_PATH,
  XSRF_HEADER,
} from './dashboard-cookies';
import { isSignInMessage, signInPage, signOutPage, type SignInMessage } from './sign-in-page';

/** The sign-in and sign-out forms are a few hundred bytes; nothing larger is read. */
export const SIGN_IN_BODY_LIMIT_BYTES = 4096;
const QUEUES_PAGE = '/admin/queues';
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
export const CSRF_REFUSAL = 'Send the CSRF token of this session (X-XSRF-TOKEN) from a page of this site.';

type Form = Record<string, string>;

/** The form's fields, or null when a field repeats or is not a form at all (answered as invalid). */
export function parseForm(text: string): Form | null {
  const form: Form = {};
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(form, key)) return null;
    form[key] = value;
  }
  return form;
}

/** A parsed body as form fields, when it is one (a JSON body of strings reads the same way). */
function asForm(body: unknown): Form | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const values = Object.values(body as Record<string, unknown>);
  return values.every((value) => typeof value === 'string') ? (body as Form) : null;
}

function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface SignInInput {
  email: string;
  password: string;
  totp: string;
}

function signInInput(form: Form | null): SignInInput | null {
  if (!form) return null;
  const { email, password, totp } = form;
  if (typeof email !== 'string' || email.length === 0 || email.length > 254) return null;
  if (typeof password !== 'string' || password.length === 0 || password.length > 256) return null;
  if (typeof totp !== 'string' || !/^\d{6}$/.test(totp)) return null;
  return { email, password, totp };
}

/**
 * GET/POST /admin/sign-in and GET/POST /admin/sign-out: plain HTML forms (no script), posted as
 * urlencoded bodies of at most 4 KiB, accepted on these routes only.
 *
 * Sign-in reuses the admin login (password, TOTP, audit, failure alerts) under the per-IP auth rate
 * limit, and is protected against login CSRF twice: the form's token must match its HttpOnly
 * SameSite=Strict cookie, and a browser's Origin / Sec-Fetch-Site must be our own. Success sets the
 * session and XSRF cookies and sends the browser to the board. Sign-out needs the session's CSRF token.
 */
export async function registerSignInRoutes(
  fastify: FastifyInstance,
  access: DashboardAccess,
  limits: RateLimitsService,
): Promise<void> {
  await fastify.register((scope, _options, done) => {
    // The application accepts JSON only (and forms on the OAuth endpoints); in this scope, forms too.
    scope.removeContentTypeParser(FORM_CONTENT_TYPE);
    scope.addContentTypeParser(
      FORM_CONTENT_TYPE,
      { parseAs: 'string', bodyLimit: SIGN_IN_BODY_LIMIT_BYTES },
      (_request, body, done) =>
        done(null, parseForm(typeof body === 'string' ? body : body.toString('utf8'))),
    );
    scope.setErrorHandler((error, request, reply) => access.sendProblem(request, reply, error));

    const formPage = (reply: FastifyReply, status: number, token: string, message?: SignInMessage) =>
      reply.code(status).type('text/html; charset=utf-8').send(signInPage(token, message));

    scope.get(SIGN_IN_PATH, async (request, reply) => {
      // One token per browser while it lasts, so two open tabs can both sign in.
      const token =
        readCookie(request.headers.cookie, SIGN_IN_COOKIE) ?? randomBytes(32).toString('base64url');
      void reply.header(
        'set-cookie',
        serializeCookie(SIGN_IN_COOKIE, token, {
          httpOnly: true,
          path: SIGN_IN_PATH,
          maxAgeSeconds: SIGN_IN_FORM_MAX_AGE_S,
        }),
      );
      const { message } = request.query as { message?: unknown };
      return formPage(reply, 200, token, isSignInMessage(message) ? message : undefined);
    });

    scope.post(SIGN_IN_PATH, { bodyLimit: SIGN_IN_BODY_LIMIT_BYTES }, async (request, reply) => {
      const form = asForm(request.body);
      const cookieToken = readCookie(request.headers.cookie, SIGN_IN_COOKIE);
      const newToken = () => {
        const token = randomBytes(32).toString('base64url');
        void reply.header(
          'set-cookie',
          serializeCookie(SIGN_IN_COOKIE, token, {
            httpOnly: true,
            path: SIGN_IN_PATH,
            maxAgeSeconds: SIGN_IN_FORM_MAX_AGE_S,
          }),
        );
        return token;
      };
      // Credential endpoints share the per-IP 'auth' budget with POST /api/v1/admin/session.
      for (const outcome of await limits.admit(
        [limits.sourceCounter('ip', request.ip), limits.sourceCounter('auth', request.ip)].filter(
          (step) => step !== undefined,
        ),
      )) {
        if (!('record' in outcome)) continue;
        void reply.headers(rateLimitHeaders(outcome.step.limit, outcome.record));
        if (outcome.record.isBlocked) return formPage(reply, 429, cookieToken ?? newToken(), 'throttled');
      }
      if (access.crossSite(request) || !sameToken(cookieToken, form?.formToken)) {
        return formPage(reply, 403, newToken(), 'expired');
      }
      const input = signInInput(form);
      if (!input) return formPage(reply, 400, cookieToken!, 'invalid');
      try {
        const signIn = await access.sessions.signIn(request, input);
        access.setCookies(reply, signIn);
        return reply.code(303).header('location', QUEUES_PAGE).send();
      } catch (error) {
        if (error instanceof AuthenticationFailed) return formPage(reply, 401, cookieToken!, 'failed');
        throw error;
      }
    });

    scope.get(SIGN_OUT_PATH, async (request, reply) => {
      const handle = access.sessionHandle(request);
      if (!handle) return access.redirectToSignIn(reply);
      try {
        await access.principalOf(request, reply, handle);
      } catch (error) {
        if (!(error instanceof AuthenticationFailed)) throw error;
        access.clearCookies(reply);
        return access.redirectToSignIn(reply, 'ended');
      }
      return reply.type('text/html; charset=utf-8').send(signOutPage(access.sessions.csrfTokenFor(handle)));
    });

    scope.post(SIGN_OUT_PATH, { bodyLimit: SIGN_IN_BODY_LIMIT_BYTES }, async (request, reply) => {
      const handle = access.sessionHandle(request);
      if (!handle) return access.redirectToSignIn(reply);
      const form = asForm(request.body);
      const presented = (request.headers[XSRF_HEADER] as string | undefined) ?? form?.csrf;
      if (access.crossSite(request) || !access.sessions.csrfTokenMatches(handle, presented)) {
        return access.sendProblem(request, reply, new AccessDenied('csrf_token_invalid', CSRF_REFUSAL));
      }
      let principal;
      try {
        principal = await access.principalOf(request, reply, handle);
      } catch (error) {
        // Already ended: nothing left to revoke, only the cookies to clear.
        if (!(error instanceof AuthenticationFailed)) throw error;
        access.clearCookies(reply);
        return access.redirectToSignIn(reply, 'signed_out');
      }
      await access.sessions.signOut(request, principal, handle);
      access.clearCookies(reply);
      return access.redirectToSignIn(reply, 'signed_out');
    });
    done();
  });
}
