/**
 * Wraps `load` so that calls made while one is running share its promise; the next call after it
 * settles loads afresh. A scrape collects every series at once: they then read one snapshot.
 */
export function sharedWhileRunning<T>(load: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  return () => {
    running ??= load().finally(() => {
      running = null;
    });
    return running;
  };
}
