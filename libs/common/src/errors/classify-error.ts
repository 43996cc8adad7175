import { HttpException } from '@nestjs/common';
import { isRedisUnavailable } from '../redis/redis-connection';
import { DomainError } from './domain-error';
import { ProblemType, problemTypeForStatus } from './problem-types';

export interface ClassifiedError {
  type: ProblemType;
  /** Safe to send: written by us, never derived from the request. */
  detail?: string;
  extensions?: Record<string, unknown>;
  /** True when the error is ours to investigate (5xx): it is logged with its stack. */
  unexpected: boolean;
  headers?: Record<string, string>;
}

// Fastify's own client errors, raised before a route handler runs. Their messages can quote
// request bytes (a content type, a JSON fragment), so we answer with our own detail.
const FASTIFY_CLIENT_ERRORS: Record<string, { type: ProblemType; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    type: 'payload-too-large',
    detail: 'The request body exceeds the size limit.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    type: 'unsupported-media-type',
    detail: 'Send the body as application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    type: 'bad-request',
    detail: 'Content-Length does not match the body.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { type: 'malformed-json', detail: 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { type: 'malformed-json', detail: 'The body could not be parsed as JSON.' },
  FST_ERR_BAD_URL: { type: 'bad-request', detail: 'The request URL is malformed.' },
};

interface ErrorWithStatus {
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
}

// knex's acquire timeout: raw from the pool (prepared statements), or wrapped by MikroORM in a
// DriverException that keeps only the message.
const POOL_TIMEOUT_MESSAGE = /^Knex: Timeout acquiring a connection/;

function isPoolExhausted(error: unknown): boolean {
  return (
    error instanceof Error && (error.name === 'KnexTimeoutError' || POOL_TIMEOUT_MESSAGE.test(error.message))
  );
}

/** Decides what the client is told about an error; pure, so every mapping is unit-tested. */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof DomainError) {
    return {
      type: error.type,
      detail: error.message || undefined,
      extensions: error.extensions,
      unexpected: error.status >= 500,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Nest's messages may quote the path ("Cannot GET /...") or a value: use the title only.
    return { type: problemTypeForStatus(status), unexpected: status >= 500 };
  }
  if (isPoolExhausted(error)) {
    // Every pool connection stayed busy for the acquire timeout: overload, not a client error and
    // not a bug in the request. Ask the caller to come back instead of answering a bare 500.
    return {
      type: 'service-unavailable',
      detail: 'The service is busy. Retry shortly.',
      unexpected: true,
      headers: { 'retry-after': '1' },
    };
  }
  if (isRedisUnavailable(error)) {
    // Redis (rate limits, revocations) did not answer in time: fail closed, and tell the caller to come
    // back rather than hold its request open for the length of the outage.
    return {
      type: 'service-unavailable',
      detail: 'A dependency of the service is unavailable. Retry shortly.',
      unexpected: true,
      headers: { 'retry-after': '5' },
    };
  }
  const candidate = (error ?? {}) as ErrorWithStatus;
  if (typeof candidate.code === 'string' && candidate.code in FASTIFY_CLIENT_ERRORS) {
    return { ...FASTIFY_CLIENT_ERRORS[candidate.code], unexpected: false };
  }
  const status = typeof candidate.statusCode === 'number' ? candidate.statusCode : undefined;
  if (error instanceof SyntaxError && status === 400) {
    return { type: 'malformed-json', detail: 'The body could not be parsed as JSON.', unexpected: false };
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return { type: problemTypeForStatus(status), unexpected: false };
  }
  return { type: 'internal-error', unexpected: true };
}
