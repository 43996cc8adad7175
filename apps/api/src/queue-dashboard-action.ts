// Names a queue dashboard request for the audit trail: which operation, on which of our queues.
// Only our own queue names are recorded; nothing the caller typed is copied into the trail.

/** Methods that only read the board; anything else under it changes a queue, a job or a schedule. */
export const QUEUE_DASHBOARD_READ_METHODS: readonly string[] = ['GET', 'HEAD'];

export interface QueueDashboardAction {
  /** `queues.<verb>`, e.g. `queues.pause`, `queues.job.retry`, `queues.job_schedulers.remove`. */
  action: string;
  /** The queues it touches: the one named in the path, or every queue for the board-wide routes. */
  queues: string[] | null;
}

const MAX_ACTION_LENGTH = 80;

/**
 * The audit name of a mutation on the board, from the matched route template (relative to the
 * board's `/api`), e.g. `PUT /queues/:queueName/clean/:queueStatus` → `queues.clean`. Derived
 * from the template, so a route a newer bull-board adds still gets a distinct name.
 */
export function queueDashboardAction(
  method: string,
  apiRoute: string | undefined,
  queueName: string | undefined,
  knownQueues: readonly string[],
): QueueDashboardAction {
  if (apiRoute === undefined) return { action: 'queues.unmatched', queues: null };
  const segments = apiRoute.split('/').filter(Boolean);
  const boardWide = segments[0] === 'queues' && !segments.some((s) => s === ':queueName');
  const words: string[] = [];
  for (const segment of segments.slice(segments[0] === 'queues' ? 1 : 0)) {
    if (segment === ':jobId') words.push('job');
    else if (!segment.startsWith(':')) words.push(segment.toLowerCase().replace(/[^a-z0-9]+/g, '_'));
  }
  // PATCH on a resource itself (e.g. a job scheduler) edits it.
  if (method.toUpperCase() === 'PATCH' && segments.at(-1)?.startsWith(':')) words.push('update');
  const action = `queues.${words.join('.') || 'unknown'}`.slice(0, MAX_ACTION_LENGTH);
  if (boardWide) return { action, queues: [...knownQueues].sort() };
  return { action, queues: queueName && knownQueues.includes(queueName) ? [queueName] : null };
}
