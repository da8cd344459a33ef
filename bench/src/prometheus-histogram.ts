// A Prometheus histogram read from a service's /metrics text, to say what a service itself measured
// over a phase (the counts at its end minus those at its start) beside what the benchmark's clients saw.

/** Cumulative counts by upper bound (`le`, +Infinity last), summed over every series of the metric. */
export type HistogramCounts = ReadonlyMap<number, number>;

/** The buckets of histogram `name` in Prometheus text exposition format, summed over their labels. */
export function parseHistogram(text: string, name: string): HistogramCounts {
  const counts = new Map<number, number>();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const le = /[{,]le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    counts.set(bound, (counts.get(bound) ?? 0) + value);
  }
  return new Map([...counts].sort((a, b) => a[0] - b[0]));
}

/** The sum of several processes' histograms (the same buckets). */
export function sumHistograms(histograms: readonly HistogramCounts[]): HistogramCounts {
  const sum = new Map<number, number>();
  for (const histogram of histograms) {
    for (const [bound, count] of histogram) sum.set(bound, (sum.get(bound) ?? 0) + count);
  }
  return new Map([...sum].sort((a, b) => a[0] - b[0]));
}

/** What was observed between two readings of the same histogram (`after` − `before`, per bucket). */
export function histogramDelta(before: HistogramCounts, after: HistogramCounts): HistogramCounts {
  return new Map([...after].map(([bound, count]) => [bound, count - (before.get(bound) ?? 0)]));
}

/**
 * The upper bound of the bucket that holds quantile `q` of the observations (so the quantile is at
 * most that), or undefined when there are none. +Infinity when it lies beyond the last finite bound.
 */
export function quantileBound(histogram: HistogramCounts, q: number): number | undefined {
  const total = histogram.get(Number.POSITIVE_INFINITY) ?? Math.max(0, ...histogram.values());
  if (total <= 0) return undefined;
  const rank = q * total;
  for (const [bound, count] of histogram) if (count >= rank) return bound;
  return Number.POSITIVE_INFINITY;
}

/** Observations in a histogram (its +Inf bucket). */
export function observations(histogram: HistogramCounts): number {
  return histogram.get(Number.POSITIVE_INFINITY) ?? 0;
}
