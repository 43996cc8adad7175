import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService, auditActor, type AuditRecord } from '@app/audit';
import {
  AccessDenied,
  AppConfig,
  JobQueues,
  requestMeta,
  type AdminPrincipal,
  type AuthenticatedRequest,
  type QueueName,
} from '@app/common';
import {
  AdminBrowserSessionsService,
  AdminRequestVerifier,
  AuthenticationFailed,
  authorizeScopes,
} from '@app/identity';
import { DashboardAccess } from './dashboard/dashboard-access';
import { SIGN_OUT_PATH, XSRF_HEADER } from './dashboard/dashboard-cookies';
import { CSRF_REFUSAL, registerSignInRoutes } from './dashboard/dashboard-sign-in';
import { QUEUE_DESCRIPTIONS } from './dashboard/queue-catalog';
import { isNavigation } from './dashboard/request-origin';
import { RateLimitsService } from './gateway/rate-limits.service';
import {
  QUEUE_DASHBOARD_READ_METHODS,
  queueDashboardAction,
  type QueueDashboardAction,
} from './queue-dashboard-action';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const QUEUE_DASHBOARD_API = `${QUEUE_DASHBOARD_PATH}/api`;

type DashboardRequest = AuthenticatedRequest & { queueMutation?: QueueDashboardAction };

function outcomeOf(status: number): AuditRecord['outcome'] {
  if (status < 400) return 'success';
  if (status === 403 || status === 404) return 'denied';
  return 'failure';
}

/**
 * Bull Board for operators at /admin/queues. It has no login of its own, so every request to it
 * carries an admin: either a bearer token with MFA (scripts), or the session cookie set by the
 * sign-in page at /admin/sign-in (people, in a browser). Either needs the admin:queues scope, which
 * reads only. Any other method (pause, resume, empty, clean, retry, promote, add, remove a job or a
 * schedule) also needs admin:queues:write and is audited as `queues.<verb>` with the queue and the
 * outcome; with the cookie it must also carry the session's CSRF token (X-XSRF-TOKEN, which the
 * board's own script copies from the XSRF-TOKEN cookie) and come from a page of this origin.
 * A browser opening a page without a valid session is sent to the sign-in page.
 * Job payloads hold opaque ids only, so the board shows no ePHI.
 */
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const queues = app.get(JobQueues).all();
  const queueNames = queues.map((q) => q.name);
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  // Bull Board's read-only switch is per queue, not per viewer: the adapters stay writable and
  // the hook below refuses every mutation to an admin without the write scope.
  createBullBoard({
    queues: queues.map(
      (q) => new BullMQAdapter(q, { readOnlyMode: false, ...QUEUE_DESCRIPTIONS[q.name as QueueName] }),
    ),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Member-sync queues',
        miscLinks: [{ text: 'Sign out', url: SIGN_OUT_PATH }],
        hideDocsLink: true,
      },
    },
  });
  const verifier = app.get(AdminRequestVerifier);
  const audit = app.get(AuditService);
  const access = new DashboardAccess(app.get(AdminBrowserSessionsService), audit, app.get(AppConfig));
  const fastify = app.getHttpAdapter().getInstance();
  await registerSignInRoutes(fastify, access, app.get(RateLimitsService, { strict: false }));

  const recordMutation = (
    request: FastifyRequest,
    principal: AdminPrincipal,
    mutation: QueueDashboardAction,
    statusCode: number,
    reason?: string,
  ) =>
    audit.recordStandalone({
      ...auditActor({ principal, request: requestMeta(request) }),
      action: mutation.action,
      resourceType: 'queue',
      resourceIds: mutation.queues,
      outcome: outcomeOf(statusCode),
      statusCode,
      reason: reason ?? null,
    });

  /**
   * The admin making the request, or null when a browser was sent to the sign-in page. A bearer
   * header wins over a cookie (scripts); `handle` is set when the cookie was used.
   */
  const authenticate = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ principal: AdminPrincipal; handle?: string } | null> => {
    const handle = access.sessionHandle(request);
    if (request.headers.authorization !== undefined || handle === undefined) {
      if (request.headers.authorization === undefined && isNavigation(request.method, request.headers)) {
        await audit.recordStandalone({
          ...auditActor({ request: requestMeta(request) }),
          action: 'access.authenticate',
          outcome: 'failure',
          statusCode: 303,
          reason: 'no_session',
        });
        access.redirectToSignIn(reply);
        return null;
      }
      return { principal: await verifier.verify(request, reply, 'admin:queues') };
    }
    let principal: AdminPrincipal;
    try {
      principal = await access.principalOf(request, reply, handle);
    } catch (error) {
      if (error instanceof AuthenticationFailed && isNavigation(request.method, request.headers)) {
        access.redirectToSignIn(reply, 'ended');
        return null;
      }
      throw error;
    }
    const refusal = authorizeScopes(principal, ['admin:queues']);
    if (refusal) {
      await audit.recordStandalone({
        ...auditActor({ principal, request: requestMeta(request) }),
        action: 'access.authorize',
        outcome: 'denied',
        statusCode: 403,
        reason: refusal,
      });
      throw new AccessDenied(refusal);
    }
    return { principal, handle };
  };

  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply: FastifyReply) => {
      const dashboardRequest = request as DashboardRequest;
      try {
        const caller = await authenticate(request, reply);
        if (!caller) return reply;
        const { principal, handle } = caller;
        // The admin is attached so the request's audit event names who used the dashboard.
        dashboardRequest.principal = principal;
        if (QUEUE_DASHBOARD_READ_METHODS.includes(request.method)) return;

        const route = request.routeOptions.url;
        const mutation = queueDashboardAction(
          request.method,
          route?.startsWith(QUEUE_DASHBOARD_API) ? route.slice(QUEUE_DASHBOARD_API.length) : route,
          (request.params as { queueName?: string } | undefined)?.queueName,
          queueNames,
        );
        if (handle !== undefined) {
          // A cookie is sent by the browser whoever asks it to: the change must prove it came from
          // our own page (its origin, and the session's CSRF token only our page can read).
          const crossSite = access.crossSite(request);
          const forged =
            crossSite ??
            (access.sessions.csrfTokenMatches(handle, csrfHeader(request)) ? null : 'csrf_token_invalid');
          if (forged) {
            await recordMutation(request, principal, mutation, 403, forged);
            throw new AccessDenied(forged, CSRF_REFUSAL);
          }
        }
        const refusal = authorizeScopes(principal, ['admin:queues:write']);
        if (refusal) {
          await recordMutation(request, principal, mutation, 403, refusal);
          throw new AccessDenied(refusal);
        }
        // This request's one audit event is the mutation's own, written with its outcome on send.
        dashboardRequest.queueMutation = mutation;
        if (dashboardRequest.auditState) dashboardRequest.auditState.audited = true;
      } catch (error) {
        // Outside Nest's router, so the problem+json answer is written here.
        return access.sendProblem(request, reply, error);
      }
    });
    scope.addHook('onSend', async (request, reply, payload) => {
      const { queueMutation, principal } = request as DashboardRequest;
      if (queueMutation && principal?.kind === 'admin') {
        await recordMutation(request, principal, queueMutation, reply.statusCode);
      }
      return payload;
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
}

function csrfHeader(request: FastifyRequest): string | undefined {
  const value = request.headers[XSRF_HEADER];
  return typeof value === 'string' ? value : undefined;
}
