import { SERVED_METHODS } from '@app/common';

/** The route label of a request no route matched (404s, scanners): its path is never a label. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Buckets (seconds) for request durations: the API answers in 1–250 ms, so most are finer there,
 * with a few above for slow batches and outages.
 */
export const REQUEST_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * The route label: the matched route template (`/api/v1/members/:memberId`), never the raw URL,
 * which can carry member ids, cursors or tokens. Templates come from the code, so the set is bounded.
 */
export function routeLabel(template: string | undefined): string {
  return template ? template : UNMATCHED_ROUTE;
}

/** The method label: one of the methods the service serves, else `other` (a bounded set). */
export function methodLabel(method: string): string {
  return SERVED_METHODS.has(method) ? method : 'other';
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

/** `2xx`, `4xx`...: the status class, so a route has at most five request series per method. */
export function statusClass(status: number): StatusClass {
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  if (status >= 300) return '3xx';
  if (status >= 200) return '2xx';
  return '1xx';
}
