import { CRASH_POINTS } from '@kafka-ecs/config';
import { RETRY_STEPS } from '@kafka-ecs/retry';

describe('fault injection crash points', () => {
  it('when FAULT_INJECT_CRASH_AT names a step, then it is one the retry system reports (the lists agree)', () => {
    expect([...CRASH_POINTS].sort()).toEqual([...RETRY_STEPS].sort());
  });
});
