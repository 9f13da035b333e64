import { nextProbeDelay } from './progress.ts';

const at = (value: number, rate: number) =>
  nextProbeDelay({ value, target: 60_000, rate, intervalMs: 25, maxIntervalMs: 250 });

describe('nextProbeDelay', () => {
  it('when the count has not moved yet, then it probes again after the interval', () => {
    expect(at(0, 0)).toBe(25);
  });

  it('when the end is far at the rate so far, then it waits the longest allowed', () => {
    // 50,000 to go at 40 a ms: 1,250 ms left.
    expect(at(10_000, 40)).toBe(250);
  });

  it('when the end is a little way off, then it waits a third of the time left', () => {
    // 12,000 to go at 40 a ms: 300 ms left.
    expect(at(48_000, 40)).toBe(100);
  });

  it('when the end is near, then it probes every interval', () => {
    // 2,000 to go at 40 a ms: 50 ms left.
    expect(at(58_000, 40)).toBe(25);
  });

  it('when the rate triples, then the next probe still comes no later than the end', () => {
    const left = 6_000;
    const delay = at(60_000 - left, 40);
    expect(delay).toBeLessThanOrEqual(left / (3 * 40));
  });
});
