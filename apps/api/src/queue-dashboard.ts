import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService, auditActor, type AuditRecord } from '@app/audit';
import {
  AccessDenied,
  buildProblem,
  classifyError,
  JobQueues,
  PROBLEM_CONTENT_TYPE,
  requestMeta,
  type AdminPrincipal,
  type AuthenticatedRequest,
} from '@app/common';
import { AdminRequestVerifier, authorizeScopes } from '@app/identity';
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
 * must carry an admin bearer token with MFA and the admin:queues scope, which reads only. Any
 * other method (pause, resume, empty, clean, retry, promote, add, remove a job or a schedule)
 * also needs admin:queues:write and is audited as `queues.<verb>` with the queue and the outcome.
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
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
  });
  const verifier = app.get(AdminRequestVerifier);
  const audit = app.get(AuditService);
  const fastify = app.getHttpAdapter().getInstance();

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

  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply: FastifyReply) => {
      const dashboardRequest = request as DashboardRequest;
      try {
        // The admin is attached so the request's audit event names who used the dashboard.
        const principal = await verifier.verify(request, reply, 'admin:queues');
        dashboardRequest.principal = principal;
        if (QUEUE_DASHBOARD_READ_METHODS.includes(request.method)) return;

        const route = request.routeOptions.url;
        const mutation = queueDashboardAction(
          request.method,
          route?.startsWith(QUEUE_DASHBOARD_API) ? route.slice(QUEUE_DASHBOARD_API.length) : route,
          (request.params as { queueName?: string } | undefined)?.queueName,
          queueNames,
        );
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
        const classified = classifyError(error);
        const problem = buildProblem(classified.type, request.id, classified.detail);
        return reply
          .code(problem.status)
          .header('content-type', PROBLEM_CONTENT_TYPE)
          .send(JSON.stringify(problem));
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
