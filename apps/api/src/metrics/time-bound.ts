/** A part of a scrape that did not answer in time (a hung connection, a pool waiting for a slot). */
export class ScrapeTimedOut extends Error {
  override readonly name = 'ScrapeTimedOut';
}

/**
 * Settles with `work`, or rejects with ScrapeTimedOut after `ms`: a scrape never waits longer for
 * PostgreSQL or Redis than that. The work itself is not cancelled; its late result is dropped.
 */
export function timeBound<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ScrapeTimedOut(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
