import {
  bucketPercentile,
  bucketsBetween,
  latencySummary,
  median,
  percentileOfSorted,
  ratio,
  summarize,
} from './stats.ts';

describe('median', () => {
  it('when the count is odd, then it is the middle value whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });

  it('when the count is even, then it is the mean of the two middle values', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('when there are no values, then it is NaN', () => {
    expect(median([])).toBeNaN();
  });
});

describe('summarize', () => {
  it('when given runs, then it reports median, min, max and keeps the runs in order', () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, runs: [30, 10, 20] });
  });

  it('when given no run, then it throws', () => {
    expect(() => summarize([])).toThrow('at least one run');
  });
});

describe('percentileOfSorted', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('when asked for p50 and p99 of 1..100, then it returns 50 and 99 (nearest rank)', () => {
    expect(percentileOfSorted(hundred, 50)).toBe(50);
    expect(percentileOfSorted(hundred, 99)).toBe(99);
    expect(percentileOfSorted(hundred, 100)).toBe(100);
  });

  it('when asked for p0 or a single value, then it returns the smallest value', () => {
    expect(percentileOfSorted(hundred, 0)).toBe(1);
    expect(percentileOfSorted([7], 99)).toBe(7);
  });

  it('when the percentile is out of range, then it throws', () => {
    expect(() => percentileOfSorted(hundred, 101)).toThrow(RangeError);
  });
});

describe('latencySummary', () => {
  it('when given unsorted latencies, then it sorts numerically (not as strings)', () => {
    const values = [100, 9, 20, 3, ...Array.from({ length: 96 }, () => 10)];
    expect(latencySummary(values)).toEqual({ count: 100, p50: 10, p99: 20, max: 100 });
  });

  it('when empty, then the count is 0 and the figures are NaN', () => {
    const summary = latencySummary([]);
    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
  });
});

describe('ratio', () => {
  it('when the reference is zero or missing, then it is NaN instead of Infinity', () => {
    expect(ratio(5, 10)).toBe(0.5);
    expect(ratio(5, 0)).toBeNaN();
    expect(ratio(5, Number.NaN)).toBeNaN();
  });
});

describe('histogram buckets', () => {
  const before = [
    { le: 0.001, count: 10 },
    { le: 0.01, count: 10 },
    { le: 0.1, count: 10 },
    { le: Number.POSITIVE_INFINITY, count: 10 },
  ];
  // In between: 90 at most 1 ms, 8 more at most 10 ms, 1 at most 100 ms, 1 beyond.
  const after = [
    { le: 0.001, count: 100 },
    { le: 0.01, count: 108 },
    { le: 0.1, count: 109 },
    { le: Number.POSITIVE_INFINITY, count: 110 },
  ];

  it('when two scrapes are compared, then the buckets hold only what was observed in between', () => {
    expect(bucketsBetween(before, after).map(({ count }) => count)).toEqual([90, 98, 99, 100]);
  });

  it('when a percentile is asked, then it is the upper bound of the bucket it falls in', () => {
    const between = bucketsBetween(before, after);
    expect(bucketPercentile(between, 50)).toBe(0.001);
    expect(bucketPercentile(between, 90)).toBe(0.001);
    expect(bucketPercentile(between, 91)).toBe(0.01);
    expect(bucketPercentile(between, 99)).toBe(0.1);
    expect(bucketPercentile(between, 100)).toBe(Number.POSITIVE_INFINITY);
  });

  it('when nothing was observed, then the percentile is NaN', () => {
    expect(bucketPercentile(bucketsBetween(after, after), 99)).toBeNaN();
  });
});
