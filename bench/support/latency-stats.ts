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
