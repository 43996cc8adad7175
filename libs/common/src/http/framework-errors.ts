import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { DomainError } from '../errors/domain-error';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem';
import type { ProblemType } from '../errors/problem-types';

/**
 * Requests the framework refuses before any route runs (a path segment over the router's limit, a
 * malformed escape, a method we never serve, bytes the HTTP parser rejects). Fastify's own answers
 * echo the path and skip our headers; these errors and the raw responder below replace them.
 */

export class UriTooLong extends DomainError {
  readonly type = 'uri-too-long' as const;
  constructor() {
    super('A path segment is longer than this service accepts.');
  }
}

export class MalformedUrl extends DomainError {
  readonly type = 'bad-request' as const;
  constructor() {
    super('The request URL is malformed.');
  }
}

export class MethodNotImplemented extends DomainError {
  readonly type = 'method-not-implemented' as const;
  constructor() {
    super('This service does not implement the request method.');
  }
}

/** Every method any of our routes (API, docs, queue dashboard) answers; anything else is a 501. */
export const SERVED_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);

/** The error a router-level refusal becomes (Fastify's `frameworkErrors` codes). */
export function frameworkRefusal(code: string | undefined): Error {
  if (code === 'FST_ERR_MAX_PARAM_LENGTH') return new UriTooLong();
  if (code === 'FST_ERR_BAD_URL') return new MalformedUrl();
  // Anything else (an async route constraint failing) is ours: a bare 500, detail only in the log.
  return new Error(`router refused the request: ${code ?? 'unknown'}`);
}

// Node's HTTP parser errors, answered on the socket before a request object exists.
const CLIENT_ERROR_TYPES: Record<string, ProblemType> = {
  HPE_HEADER_OVERFLOW: 'request-header-fields-too-large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request-timeout',
  ERR_HTTP_HEADERS_TIMEOUT: 'request-timeout',
};

/**
 * The whole HTTP response for a request the parser refused: our problem body with a fresh request
 * id, the security headers helmet would have set, and nothing of what was sent. Pure, for tests.
 */
export function clientErrorResponse(
  code: string | undefined,
  hstsMaxAgeSeconds: number,
  requestId = randomUUID(),
) {
  const problem = buildProblem(CLIENT_ERROR_TYPES[code ?? ''] ?? 'bad-request', requestId);
  const body = JSON.stringify(problem);
  const headers = [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    `x-request-id: ${requestId}`,
    'cache-control: no-store',
    `strict-transport-security: max-age=${hstsMaxAgeSeconds}; includeSubDomains`,
    'x-content-type-options: nosniff',
    "content-security-policy: default-src 'none'; frame-ancestors 'none'",
    'x-frame-options: SAMEORIGIN',
    'referrer-policy: no-referrer',
    'connection: close',
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/** Fastify's `clientErrorHandler`: answers with our problem, then closes the connection. */
export function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  hstsMaxAgeSeconds: number,
): void {
  // A reset or an already closed socket has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) socket.end(clientErrorResponse(error.code, hstsMaxAgeSeconds));
  else socket.destroy();
}
