import { Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService, auditActor, type AuditRecord } from '@app/audit';
import { PROBLEM_CONTENT_TYPE, buildProblem, requestMeta, type AuthenticatedRequest } from '@app/common';

// Public, data-free endpoints whose every hit would only flood the trail (probes, docs, key sets).
const UNAUDITED = [
  /^\/health\//,
  /^\/api\/docs(\/|$)/,
  /^\/api\/openapi\.json$/,
  /^\/\.well-known\//,
  /^\/admin\/queues\/static\//,
];

function outcomeOf(status: number): AuditRecord['outcome'] {
  if (status < 400) return 'success';
  if (status === 403 || status === 404) return 'denied';
  return 'failure';
}

/**
 * Exactly one audit event per request: the service that handled it records the event inside
 * its own transaction and marks the request; any request that ends without one (a validation
 * error, an unknown route, a throttled call, a body the parser refused) is recorded here, before
 * the answer leaves.
 */
export function auditEveryRequest(app: NestFastifyApplication): void {
  const audit = app.get(AuditService);
  const logger = new Logger('RequestAudit');
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    (request as AuthenticatedRequest).auditState = { audited: false };
    done();
  });
  // Callback style: an answer its service already audited (every read) passes without a promise.
  fastify.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done) => {
    const state = (request as AuthenticatedRequest).auditState;
    if (!state || state.audited) return done(null, payload);
    const path = request.url.split('?')[0];
    if (UNAUDITED.some((pattern) => pattern.test(path))) return done(null, payload);
    // A scrape that passed the metrics token reads no ePHI; refused scrapes are audited like any refusal.
    if (path === '/metrics' && reply.statusCode === 200) return done(null, payload);
    auditUnhandled(request, reply, payload, state).then(
      (answer) => done(null, answer),
      (error: Error) => done(error),
    );
  });

  async function auditUnhandled(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    state: { audited: boolean },
  ): Promise<unknown> {
    try {
      await audit.recordStandalone({
        ...auditActor({
          principal: (request as AuthenticatedRequest).principal,
          request: requestMeta(request),
        }),
        action: 'http.request',
        outcome: outcomeOf(reply.statusCode),
        statusCode: reply.statusCode,
      });
      return payload;
    } catch (error) {
      // An answer that cannot be audited is not given (fail closed), and the failure's text (SQL,
      // a driver message) never reaches the client: it gets a bare 500 with its request id.
      // Marked so the 500 itself does not try (and fail) again; the log line is the record.
      state.audited = true;
      if (payload instanceof Readable) payload.destroy();
      logger.error({ err: error, requestId: request.id }, 'request audit failed');
      const problem = buildProblem('internal-error', request.id);
      void reply
        .code(problem.status)
        .header('content-type', PROBLEM_CONTENT_TYPE)
        .removeHeader('content-length');
      return JSON.stringify(problem);
    }
  }
}
