import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  buildProblem,
  classifyError,
  JobQueues,
  PROBLEM_CONTENT_TYPE,
  type AuthenticatedRequest,
} from '@app/common';
import { AdminRequestVerifier } from '@app/identity';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board for operators at /admin/queues. It has no login of its own, so every request to it
 * must carry an admin bearer token with MFA and the admin:queues scope. Job payloads hold opaque
 * ids only, so the board shows no ePHI.
 */
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: app
      .get(JobQueues)
      .all()
      .map((q) => new BullMQAdapter(q, { readOnlyMode: false })),
    serverAdapter,
  });
  const verifier = app.get(AdminRequestVerifier);
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      try {
        // The admin is attached so the request's audit event names who used the dashboard.
        (request as AuthenticatedRequest).principal = await verifier.verify(request, reply, 'admin:queues');
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
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
  });
}
