import { retryChainMs, retryDelayMs, retrySchedule } from './retry-policy.ts';

const contract = { maxAttempts: 5, backoffMs: 60_000, factor: 5, maxBackoffMs: 3_600_000 };

describe('the retry schedule', () => {
  it('when the contract defaults apply, then retries wait 1, 5, 25 and 60 (capped) minutes', () => {
    expect(retrySchedule(contract)).toEqual([60_000, 300_000, 1_500_000, 3_600_000]);
    expect(retryDelayMs(contract, 5)).toBe(3_600_000);
    expect(retryChainMs(contract)).toBe(5_460_000);
  });

  it('when only one attempt is allowed, then there is no retry at all', () => {
    expect(retrySchedule({ ...contract, maxAttempts: 1 })).toEqual([]);
    expect(retryChainMs({ ...contract, maxAttempts: 1 })).toBe(0);
  });
});
