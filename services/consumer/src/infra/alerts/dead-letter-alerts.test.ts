import { createDeadLetterAlerts } from './dead-letter-alerts.ts';

/** The coalescing rules on a clock the test moves (pure logic: no network, no real waits). */
function setup(
  send: (text: string) => Promise<void> = async () => {},
  claimSlot?: (ms: number) => Promise<boolean>,
) {
  let clock = 1_000_000;
  let due: { at: number; run: () => void }[] = [];
  const sent: string[] = [];
  const failures: unknown[] = [];
  const unsent: number[] = [];
  const alerts = createDeadLetterAlerts({
    groupId: 'consumer-view',
    minIntervalMs: 60_000,
    send: async (text) => {
      sent.push(text);
      await send(text);
    },
    onFailure: (error) => failures.push(error),
    onUnsent: ({ count }) => unsent.push(count),
    now: () => clock,
    ...(claimSlot ? { claimSlot } : {}),
    timers: {
      set: (run, ms) => {
        const timer = { at: clock + ms, run };
        due.push(timer);
        return timer;
      },
      clear: (handle) => {
        due = due.filter((timer) => timer !== handle);
      },
    },
  });
  /** Lets the promise callbacks queued so far run to their end. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const advance = async (ms: number) => {
    const until = clock + ms;
    await settle();
    for (;;) {
      const next = due.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      due = due.filter((timer) => timer !== next);
      clock = next.at;
      next.run();
      await settle();
    }
    clock = until;
    await settle();
  };
  return { alerts, sent, failures, unsent, advance };
}

describe('dead-letter alerts', () => {
  it('when the first dead letter comes after a quiet time, then it is sent at once, naming topic and reason only', async () => {
    const { alerts, sent, advance } = setup();
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(0);
    expect(sent).toEqual([
      ':rotating_light: 1 record dead-lettered in consumer group consumer-view. Topics: new-user-created ×1. Reasons: exhausted ×1. See the dead-letter runbook (pnpm dlq list).',
    ]);
  });

  it('when more come within the interval, then they are coalesced into one message when it ends', async () => {
    const { alerts, sent, advance } = setup();
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(1_000);
    alerts.deadLettered({ topic: 'issued-token', reason: 'non-retryable' });
    alerts.deadLettered({ topic: 'issued-token', reason: 'exhausted' });
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(58_999);
    expect(sent).toHaveLength(1);
    await advance(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('3 records dead-lettered');
    expect(sent[1]).toContain('Topics: issued-token ×2, new-user-created ×1.');
    expect(sent[1]).toContain('Reasons: exhausted ×2, non-retryable ×1.');
    await advance(120_000);
    expect(sent).toHaveLength(2);
  });

  it('when the webhook fails, then the failure is reported and its counts go into the next message', async () => {
    let fail = true;
    const { alerts, sent, failures, advance } = setup(async () => {
      if (fail) throw new Error('webhook down');
    });
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(0);
    expect(failures).toHaveLength(1);
    fail = false;
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(60_000);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('2 records dead-lettered');
  });

  it('when a send hangs, then dead letters meanwhile wait for it and the interval, and never block the caller', async () => {
    let release: () => void = () => {};
    let calls = 0;
    const { alerts, sent, advance } = setup(
      () =>
        new Promise<void>((resolve) => {
          calls += 1;
          if (calls === 1) release = resolve;
          else resolve();
        }),
    );
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(0);
    for (let i = 0; i < 100; i++)
      alerts.deadLettered({ topic: 'issued-token', reason: 'exhausted' });
    await advance(90_000);
    expect(sent).toHaveLength(1);
    release();
    await advance(0);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain('100 records dead-lettered');
  });

  it('when closing within the interval, then what is pending is reported as unsent; after it, it is sent', async () => {
    const early = setup();
    early.alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    early.alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await early.advance(0);
    await early.alerts.close();
    expect(early.sent).toHaveLength(1);
    expect(early.unsent).toEqual([1]);

    // A send in flight past the interval: close waits for it, then sends what came meanwhile.
    let release: () => void = () => {};
    const late = setup(
      (text) =>
        new Promise<void>((resolve) => {
          if (text.includes('1 record')) release = resolve;
          else resolve();
        }),
    );
    late.alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await late.advance(0);
    late.alerts.deadLettered({ topic: 'issued-token', reason: 'exhausted' });
    late.alerts.deadLettered({ topic: 'issued-token', reason: 'exhausted' });
    await late.advance(70_000);
    const closing = late.alerts.close();
    release();
    await closing;
    expect(late.sent).toHaveLength(2);
    expect(late.sent[1]).toContain('2 records dead-lettered');
    expect(late.unsent).toEqual([]);
  });

  it('when another task of the group holds the alert slot, then nothing is sent and the counts wait for the next interval', async () => {
    let slotFree = false;
    const claims: number[] = [];
    const { alerts, sent, advance } = setup(undefined, async (ms) => {
      claims.push(ms);
      return slotFree;
    });
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(0);
    expect(sent).toEqual([]);
    expect(claims).toEqual([60_000]);
    slotFree = true;
    alerts.deadLettered({ topic: 'issued-token', reason: 'exhausted' });
    await advance(59_999);
    expect(sent).toEqual([]);
    await advance(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('2 records dead-lettered');
  });

  it('when the slot cannot be claimed (Redis down), then the alert is sent anyway', async () => {
    const { alerts, sent, advance } = setup(undefined, async () => {
      throw new Error('redis down');
    });
    alerts.deadLettered({ topic: 'new-user-created', reason: 'exhausted' });
    await advance(0);
    expect(sent).toHaveLength(1);
  });
});
