import { createBatcher } from './batching-publisher.ts';

describe('createBatcher', () => {
  it('when many items are added in one tick, then they go out in one send and all resolve', async () => {
    const sends: number[][] = [];
    const batcher = createBatcher<number>(async (items) => {
      sends.push(items);
    });
    await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.add(i)));
    expect(sends).toHaveLength(1);
    expect(sends[0]).toHaveLength(50);
  });

  it('when items arrive while a batch is in flight, then they wait and share the next send', async () => {
    const sends: number[][] = [];
    let release: () => void = () => {};
    const batcher = createBatcher<number>(async (items) => {
      sends.push(items);
      if (sends.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = batcher.add(0);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [1, 2, 3].map((i) => batcher.add(i));
    expect(batcher.pending()).toBe(4);
    release();
    await Promise.all([first, ...later]);
    expect(sends).toEqual([[0], [1, 2, 3]]);
  });

  it('when a batch is larger than the maximum, then it is split', async () => {
    const sends: number[][] = [];
    const batcher = createBatcher<number>(async (items) => void sends.push(items), {
      maxBatchSize: 10,
    });
    await Promise.all(Array.from({ length: 25 }, (_, i) => batcher.add(i)));
    expect(sends.map((items) => items.length)).toEqual([10, 10, 5]);
  });

  it('when a send fails, then every caller of that batch gets the error and later batches still go', async () => {
    let fail = true;
    const batcher = createBatcher<number>(async () => {
      if (fail) throw new Error('broker down');
    });
    const results = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.add(3)).resolves.toBeUndefined();
    await batcher.flush();
    expect(batcher.pending()).toBe(0);
  });

  it('when a send outlives the bound, then its callers are rejected at the bound, the send is told, and the next send waits for it', async () => {
    const sends: number[][] = [];
    const signals: AbortSignal[] = [];
    let release: () => void = () => {};
    let inFlight = 0;
    let maxInFlight = 0;
    const batcher = createBatcher<number>(
      async (items, signal) => {
        sends.push(items);
        signals.push(signal);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        if (sends.length === 1) await new Promise<void>((resolve) => (release = resolve));
        inFlight -= 1;
      },
      { timeoutMs: 20, timeoutError: (ms) => new Error(`late after ${ms}`) },
    );
    const first = batcher.add(0);
    await expect(first).rejects.toThrow('late after 20');
    expect(signals[0]?.aborted).toBe(true);

    const second = batcher.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    // The timed-out send has not settled: the next one has not started.
    expect(sends).toEqual([[0]]);
    release();
    await second;
    expect(sends).toEqual([[0], [1]]);
    expect(maxInFlight).toBe(1);
  });

  it('when a send hangs, then the records queued behind it are rejected at their own bound from add, and never sent', async () => {
    const sends: number[][] = [];
    let release: () => void = () => {};
    const batcher = createBatcher<number>(
      async (items) => {
        sends.push(items);
        if (sends.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
      { timeoutMs: 50, timeoutError: (ms) => new Error(`late after ${ms}`) },
    );
    const hung = batcher.add(0);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [batcher.add(1), batcher.add(2)];

    // Rejected while the send they queued behind still hangs (before, they waited for it).
    await expect(hung).rejects.toThrow('late after 50');
    for (const caller of queued) await expect(caller).rejects.toThrow('late after 50');
    expect(batcher.pending()).toBe(1);

    release();
    await batcher.flush();
    expect(sends).toEqual([[0]]);
    await expect(batcher.add(3)).resolves.toBeUndefined();
    expect(sends).toEqual([[0], [3]]);
  });

  it('when records waited in the queue, then their batch still gets the whole bound once sent: a send that ends within it resolves them', async () => {
    const sends: number[][] = [];
    const batcher = createBatcher<number>(
      async (items) => {
        sends.push(items);
        // Each send takes 0.3 s of the 0.5 s bound: the second record waits 0.3 s for the
        // first, then its own send ends 0.6 s after its add, within the bound from that send.
        await new Promise<void>((resolve) => setTimeout(resolve, 300));
      },
      { timeoutMs: 500, timeoutError: (ms) => new Error(`late after ${ms}`) },
    );
    const first = batcher.add(0);
    await new Promise((resolve) => setImmediate(resolve));
    const second = batcher.add(1);

    // Before a bound from the add was tried, and rejected the second while its send went on
    // to write it: told it failed, written anyway.
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(sends).toEqual([[0], [1]]);
  });
});
