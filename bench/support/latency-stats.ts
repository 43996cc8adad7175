/** Throughput and latency of one measured run. Latencies in milliseconds. */
export interface RunStats {
  requests: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
}

/** The q-quantile (nearest rank) of ascending `sorted`. */
export function quantile(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function runStats(latencies: number[], seconds: number, errors: number): RunStats {
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: sorted.length,
    seconds: round(seconds, 2),
    perSecond: round(sorted.length / seconds, 0),
    p50: round(quantile(sorted, 0.5), 2),
    p90: round(quantile(sorted, 0.9), 2),
    p99: round(quantile(sorted, 0.99), 2),
    max: round(sorted.length ? sorted[sorted.length - 1] : Number.NaN, 2),
    errors,
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** CPU this process used since `since`, as a share of one core over `seconds`. */
export function cpuShare(since: NodeJS.CpuUsage, seconds: number): number {
  const used = process.cpuUsage(since);
  return Math.round(((used.user + used.system) / 1e6 / seconds) * 100) / 100;
}

/**
 * Runs `loops` loops side by side until `seconds` have passed, each calling `step` back to back (a
 * step started before the deadline finishes); returns the wall-clock seconds taken.
 */
export async function loopFor(
  loops: number,
  seconds: number,
  step: (loop: number) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: loops }, async (_, loop) => {
      while (performance.now() < deadline) await step(loop);
    }),
  );
  return (performance.now() - started) / 1000;
}

/** loopFor with each step timed: latencies of the steps that resolve; those that throw are counted (and shown to `onError`). */
export async function timedLoops(
  loops: number,
  seconds: number,
  step: (loop: number) => Promise<void>,
  onError: (error: unknown) => void = () => undefined,
): Promise<{ latencies: number[]; errors: number; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const took = await loopFor(loops, seconds, async (loop) => {
    const t0 = performance.now();
    try {
      await step(loop);
    } catch (error) {
      errors++;
      onError(error);
      return;
    }
    latencies.push(performance.now() - t0);
  });
  return { latencies, errors, seconds: took };
}
