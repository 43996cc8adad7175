/**
 * The registry of problem types (RFC 9457). The slug is part of the public contract: partners
 * branch on `type`, so a slug is never renamed or reused. `docs/errors.md` documents each one.
 */
export const PROBLEM_TYPES = {
  'validation-failed': { status: 400, title: 'The request did not pass validation' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'json-too-deep': { status: 400, title: 'The JSON body is nested too deeply' },
  'bad-request': { status: 400, title: 'The request cannot be processed as sent' },
  unauthorized: { status: 401, title: 'Authentication is required or failed' },
  'webhook-signature-invalid': {
    status: 401,
    title: 'The webhook signature is missing, outside the time tolerance or does not match',
  },
  forbidden: { status: 403, title: 'The caller may not perform this action' },
  'not-found': { status: 404, title: 'The resource does not exist' },
  'method-not-allowed': { status: 405, title: 'The method is not allowed on this resource' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'rotation-in-progress': { status: 409, title: 'A key rotation is already running' },
  'change-conflict': {
    status: 409,
    title: 'The change was not applied: stale, not the field owner, or awaiting reconciliation',
  },
  'precondition-failed': { status: 412, title: 'A precondition of the request failed' },
  'idempotency-key-invalid': { status: 400, title: 'The Idempotency-Key header is malformed' },
  'idempotency-key-in-use': { status: 409, title: 'A request with this Idempotency-Key is in progress' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used for a different request' },
  'precondition-required': { status: 428, title: 'This request must be conditional (send If-Match)' },
  'baa-required': { status: 403, title: 'No Business Associate Agreement in effect covers this disclosure' },
  'baa-terminated': { status: 422, title: 'The BAA is terminated; a terminated BAA cannot change' },
  'baa-transition-invalid': { status: 422, title: 'The BAA cannot move to that status or those terms' },
  'integrity-violation': { status: 500, title: 'Stored data failed an integrity check' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'uri-too-long': { status: 414, title: 'The request URI or a path segment is too long' },
  'unsupported-media-type': { status: 415, title: 'The request content type is not supported' },
  'unprocessable-entity': { status: 422, title: 'The request is well-formed but cannot be applied' },
  'webhook-url-refused': {
    status: 422,
    title: 'The webhook URL must be https and reach only public addresses',
  },
  // Member rights requests (issue 11).
  'rights-request-transition': {
    status: 409,
    title: "The rights request's kind and status do not allow this action",
  },
  'legal-hold': { status: 409, title: 'The member is under a legal hold and cannot be deleted' },
  'export-link-gone': { status: 410, title: 'The export link was already used or has expired' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'request-header-fields-too-large': { status: 431, title: 'The request headers are too large' },
  'request-timeout': { status: 408, title: 'The request was not received in time' },
  'internal-error': { status: 500, title: 'An unexpected error occurred' },
  'method-not-implemented': { status: 501, title: 'The request method is not supported by this service' },
  'service-unavailable': { status: 503, title: 'The service is temporarily unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

export const PROBLEM_TYPE_BASE = 'https://member-sync.dev/problems/';

export function problemTypeUri(type: ProblemType): string {
  return `${PROBLEM_TYPE_BASE}${type}`;
}

/** The problem type a bare HTTP status falls back to when no more precise type is known. */
export function problemTypeForStatus(status: number): ProblemType {
  const generic = GENERIC_BY_STATUS[status];
  if (generic) return generic;
  return status >= 500 ? 'internal-error' : 'bad-request';
}

const GENERIC_BY_STATUS: Record<number, ProblemType> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  412: 'precondition-failed',
  428: 'precondition-required',
  408: 'request-timeout',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  422: 'unprocessable-entity',
  429: 'rate-limited',
  431: 'request-header-fields-too-large',
  501: 'method-not-implemented',
  503: 'service-unavailable',
};
