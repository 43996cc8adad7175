import { Readable } from 'node:stream';
import {
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  StreamableFile,
  type RawBodyRequest,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { catchError, defer, from, mergeMap, of, throwError, type Observable } from 'rxjs';
import {
  buildProblem,
  classifyError,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  type AuthenticatedRequest,
} from '@app/common';
import { IdempotencyKeyInUse, IdempotencyKeyInvalid } from './idempotency.errors';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_METHODS,
  IDEMPOTENT_REPLAYED_HEADER,
  isValidIdempotencyKey,
} from './idempotency-key';
import { IdempotencyService } from './idempotency.service';
import type { IdempotencyClaim } from './idempotency.store';
import { requestFingerprint } from './request-fingerprint';
import { REPLAYED_HEADERS, type StoredResponse } from './stored-response';

type IdempotencyRequest = RawBodyRequest<AuthenticatedRequest>;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Global: a POST/PUT/PATCH/DELETE from an authenticated caller that names a key (the
 * Idempotency-Key header, else a verified webhook-id) executes at most once per key; later
 * requests get the stored answer with `Idempotent-Replayed: true`. Runs after the guards (so the
 * caller is known and 401/403/429 never claim a key) and before the pipes (so a validation
 * refusal frees it). Requests without a caller or a key run exactly as without this interceptor.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<IdempotencyRequest>();
    if (!IDEMPOTENT_METHODS.has(request.method) || !request.principal) return next.handle();
    const reply = http.getResponse<FastifyReply>();
    return defer(() => this.handle(request, reply, next));
  }

  private handle(request: IdempotencyRequest, reply: FastifyReply, next: CallHandler): Observable<unknown> {
    const key = idempotencyKeyOf(request);
    if (key === undefined) return next.handle();
    const principal = request.principal!;
    const started = this.idempotency.start({
      client: { kind: principal.kind, id: principal.id },
      key,
      fingerprint: requestFingerprint({
        method: request.method,
        routeTemplate: request.routeOptions.url ?? request.url,
        rawBody: request.rawBody,
        body: request.body,
      }),
    });
    return from(started).pipe(
      catchError((error: unknown) => {
        if (error instanceof IdempotencyKeyInUse) void reply.header('retry-after', '1');
        return throwError(() => error);
      }),
      mergeMap((start) =>
        start.kind === 'replay'
          ? of(replay(reply, start.response))
          : this.execute(start.claim, request, reply, next),
      ),
    );
  }

  private execute(
    claim: IdempotencyClaim,
    request: IdempotencyRequest,
    reply: FastifyReply,
    next: CallHandler,
  ): Observable<unknown> {
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        const answer = captureAnswer(reply, value);
        if (!answer) {
          await this.idempotency.release(claim);
          return value;
        }
        await this.idempotency.finish(claim, answer.stored);
        return answer.send;
      }),
      catchError((error: unknown) =>
        from(this.idempotency.finish(claim, problemAnswer(error, request.id))).pipe(
          mergeMap(() => throwError(() => error)),
        ),
      ),
    );
  }
}

/** The header's key, else the verified webhook-id (DESIGN §4), else none. */
function idempotencyKeyOf(request: IdempotencyRequest): string | undefined {
  const header = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (header === undefined) return request.verifiedWebhookId;
  if (typeof header !== 'string' || !isValidIdempotencyKey(header)) throw new IdempotencyKeyInvalid();
  return header;
}

/**
 * The answer as it will be sent, and what is stored of it. An object is serialized here (as
 * Fastify would) and sent as that text, so a replay is byte-for-byte the first answer. A stream,
 * a buffer or an answer the handler sent itself cannot be replayed: null, and the key is freed.
 */
function captureAnswer(
  reply: FastifyReply,
  value: unknown,
): { stored: StoredResponse; send: unknown } | null {
  if (reply.sent || value instanceof StreamableFile || value instanceof Readable || Buffer.isBuffer(value))
    return null;
  if (value === undefined) return { stored: stored(reply, null), send: undefined };
  if (typeof value === 'string') {
    if (!reply.getHeader('content-type')) void reply.header('content-type', 'text/plain; charset=utf-8');
    return { stored: stored(reply, value), send: value };
  }
  const text = JSON.stringify(value);
  if (!reply.getHeader('content-type')) void reply.header('content-type', JSON_CONTENT_TYPE);
  return { stored: stored(reply, text), send: text };
}

function stored(reply: FastifyReply, body: string | null): StoredResponse {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return { status: reply.statusCode, headers, body };
}

/** The problem the filter is about to send for `error`, as it will be stored (when it is). */
function problemAnswer(error: unknown, requestId: string): StoredResponse {
  const classified = classifyError(error);
  const problem = buildProblem(classified.type, requestId, classified.detail, classified.extensions);
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE };
  const retryAfter = classified.headers?.['retry-after'];
  if (retryAfter) headers['retry-after'] = retryAfter;
  return { status: PROBLEM_TYPES[classified.type].status, headers, body: JSON.stringify(problem) };
}

function replay(reply: FastifyReply, response: StoredResponse): string | undefined {
  void reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) void reply.header(name, value);
  void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  return response.body ?? undefined;
}
