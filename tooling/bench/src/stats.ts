/** The summary every figure of the bench is reported as: the median of several runs, min, max. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  /** Every run's value, in run order. */
  runs: number[];
}

/** Median of the values (mean of the middle two for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summarize(runs: readonly number[]): Summary {
  if (runs.length === 0) throw new Error('summarize needs at least one run');
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of runs) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { median: median(runs), min, max, runs: [...runs] };
}

/**
 * The p-th percentile (0-100) of values already sorted ascending, by nearest rank: the smallest
 * value such that at least p% of the values are less than or equal to it. NaN when empty.
 */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (p < 0 || p > 100) throw new RangeError(`percentile must be 0-100, got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50, p99 and max of a set of latencies (any order). */
export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const asArray = Array.from(sorted);
  return {
    count: asArray.length,
    p50: percentileOfSorted(asArray, 50),
    p99: percentileOfSorted(asArray, 99),
    max: asArray.length === 0 ? Number.NaN : (asArray[asArray.length - 1] as number),
  };
}

/** project / reference, or NaN when the reference is missing or zero. */
export function ratio(project: number, reference: number): number {
  return reference > 0 && Number.isFinite(reference) ? project / reference : Number.NaN;
}

/** A Prometheus histogram's cumulative buckets: upper bound `le` (Infinity last) → count. */
export type Buckets = readonly { le: number; count: number }[];

/** `after − before` of the same histogram's buckets: what was observed in between. */
export function bucketsBetween(before: Buckets, after: Buckets): Buckets {
  const earlier = new Map(before.map(({ le, count }) => [le, count]));
  return after.map(({ le, count }) => ({ le, count: count - (earlier.get(le) ?? 0) }));
}

/**
 * The p-th percentile (0-100) of a histogram as the upper bound of the bucket it falls in (what
 * the histogram can say: "at most"), Infinity past the last finite bound; NaN when it is empty.
 */
export function bucketPercentile(buckets: Buckets, p: number): number {
  if (p < 0 || p > 100) throw new RangeError(`percentile must be 0-100, got ${p}`);
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  return (sorted.find(({ count }) => count >= rank) as { le: number }).le;
}
