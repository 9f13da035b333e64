import type { Kafka } from 'kafkajs';
import {
  createGroupAdmin,
  type GroupAdmin,
  partitionKey,
  waitForCommitted,
} from './group-admin.ts';

/** An admin whose group has committed what `committed` holds now (partition → offset). */
function adminWith(committed: Map<number, string | null>): GroupAdmin {
  const unused = () => Promise.reject(new Error('not used by waitForCommitted'));
  return {
    endOffsets: unused,
    startOffsets: unused,
    deleteGroup: unused,
    disconnect: unused,
    lag: async () =>
      [...committed].map(([partition, offset]) => ({
        topic: 't',
        partition,
        committed: offset,
        end: '0',
        lag: 0,
      })),
  };
}

const range = (partitions: [start: string, end: string][]) => ({
  starts: new Map(partitions.map(([start], partition) => [partitionKey('t', partition), start])),
  ends: new Map(partitions.map(([, end], partition) => [partitionKey('t', partition), end])),
});

describe('waiting for a replay group to read up to captured ends', () => {
  it('when a partition holds no record any more (retention moved its start to its end), then it needs no commit', async () => {
    const remaining: number[] = [];
    await waitForCommitted(adminWith(new Map([[0, null]])), 'g', ['t'], range([['7', '7']]), {
      deadline: Date.now() + 1_000,
      onRemaining: (left) => remaining.push(left),
    });
    expect(remaining).toEqual([0]);
  });

  it('when the group has not committed, then what is left counts from the start; it resolves once the commits reach the ends', async () => {
    const committed = new Map<number, string | null>([
      [0, null],
      [1, '3'],
    ]);
    const remaining: number[] = [];
    await waitForCommitted(
      adminWith(committed),
      'g',
      ['t'],
      range([
        ['2', '5'],
        ['0', '4'],
      ]),
      {
        deadline: Date.now() + 5_000,
        pollMs: 1,
        onRemaining: (left) => {
          remaining.push(left);
          if (remaining.length === 2) committed.set(0, '5');
          if (remaining.length === 3) committed.set(1, '9');
        },
      },
    );
    expect(remaining).toEqual([4, 4, 1, 0]);
  });

  it('when the deadline passes first, then it rejects naming the group and what is left', async () => {
    await expect(
      waitForCommitted(adminWith(new Map([[0, '1']])), 'g', ['t'], range([['0', '3']]), {
        deadline: Date.now() - 1,
      }),
    ).rejects.toThrow('group g did not catch up in time: 2 records left');
  });

  /** adminWith's answers, after its first `failures` reads failed (a broker restarting). */
  function failingFirst(failures: number, committed: Map<number, string | null>): GroupAdmin {
    const admin = adminWith(committed);
    let left = failures;
    return {
      ...admin,
      lag: async (groupId, topics) => {
        if (left-- > 0) throw new Error('Connection error: ECONNREFUSED');
        return admin.lag(groupId, topics);
      },
    };
  }

  it('when a read fails for a moment, then it tells so and reads again at the next poll', async () => {
    const failed: unknown[] = [];
    await waitForCommitted(failingFirst(2, new Map([[0, '3']])), 'g', ['t'], range([['0', '3']]), {
      deadline: Date.now() + 5_000,
      pollMs: 1,
      onReadFailed: (error) => failed.push(error),
    });
    expect(failed).toEqual([expect.any(Error), expect.any(Error)]);
    expect((failed[0] as Error).message).toBe('Connection error: ECONNREFUSED');
  });

  it('when reads keep failing for failingForMs, then it reads again until then and rejects with the last error, long before the deadline', async () => {
    const failed: unknown[] = [];
    const started = Date.now();
    const waiting = waitForCommitted(
      failingFirst(Infinity, new Map([[0, '3']])),
      'g',
      ['t'],
      range([['0', '3']]),
      {
        deadline: started + 60_000,
        pollMs: 5,
        failingForMs: 50,
        onReadFailed: (error) => failed.push(error),
      },
    );
    await expect(waiting).rejects.toThrow('Connection error: ECONNREFUSED');
    expect(failed.length).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });

  it('when the deadline passes while reads fail, then it rejects as timed out, the read error its cause', async () => {
    const waiting = waitForCommitted(
      failingFirst(Infinity, new Map([[0, '3']])),
      'g',
      ['t'],
      range([['0', '3']]),
      { deadline: Date.now() - 1 },
    );
    await expect(waiting).rejects.toThrow('group g did not catch up in time: its progress unread');
    await expect(waiting).rejects.toMatchObject({
      cause: new Error('Connection error: ECONNREFUSED'),
    });
  });

  it("when its signal aborts, then it rejects with the signal's reason at once", async () => {
    const stop = new AbortController();
    const waiting = waitForCommitted(
      adminWith(new Map([[0, '1']])),
      'g',
      ['t'],
      range([['0', '3']]),
      {
        deadline: Date.now() + 60_000,
        pollMs: 30_000,
        signal: stop.signal,
      },
    );
    stop.abort(new Error('the rebuild gave up'));
    await expect(waiting).rejects.toThrow('the rebuild gave up');
  });
});

describe("the kafkajs group admin's lag", () => {
  /**
   * A kafkajs client whose admin answers each topic's ends with partitions 1 and 0 and the
   * group's offsets for the topics asked, less those in `dropped` (as kafkajs answers when a
   * metadata refresh left a topic out); it records the most requests it had in flight at once.
   */
  function kafkajsAdmin(dropped: string[] = []) {
    const seen = { inFlight: 0, mostInFlight: 0, offsetsAsked: [] as string[][] };
    const request = async <T>(answer: T): Promise<T> => {
      seen.inFlight += 1;
      seen.mostInFlight = Math.max(seen.mostInFlight, seen.inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      seen.inFlight -= 1;
      return answer;
    };
    const admin = {
      connect: async () => {},
      disconnect: async () => {},
      fetchTopicOffsets: () =>
        request([
          { partition: 1, offset: '9', high: '9', low: '2' },
          { partition: 0, offset: '4', high: '4', low: '0' },
        ]),
      fetchOffsets: ({ topics }: { topics: string[] }) => {
        seen.offsetsAsked.push(topics);
        return request(
          topics
            .filter((topic) => !dropped.includes(topic))
            .map((topic) => ({
              topic,
              partitions: [
                { partition: 0, offset: '3' },
                { partition: 1, offset: '-1' },
              ],
            })),
        );
      },
    };
    return { groupAdmin: createGroupAdmin({ admin: () => admin } as unknown as Kafka), seen };
  }

  const rows = (topic: string) => [
    { topic, partition: 0, committed: '3', end: '4', lag: 1 },
    { topic, partition: 1, committed: null, end: '9', lag: 9 },
  ];

  it('when asked, then it reports every partition of each topic once, in partition order, from the ends and the commits', async () => {
    const { groupAdmin, seen } = kafkajsAdmin();
    expect(await groupAdmin.lag('g', ['a', 'b', 'a'])).toEqual([...rows('a'), ...rows('b')]);
    expect(seen.offsetsAsked).toEqual([['a', 'b']]);
  });

  it('when callers ask at once, then the admin sends one request at a time (kafkajs loses topics from its metadata otherwise)', async () => {
    const { groupAdmin, seen } = kafkajsAdmin();
    const [lagA, lagB, starts] = await Promise.all([
      groupAdmin.lag('g', ['a']),
      groupAdmin.lag('h', ['b']),
      groupAdmin.startOffsets(['a']),
    ]);
    expect([lagA, lagB]).toEqual([rows('a'), rows('b')]);
    expect(starts).toEqual(
      new Map([
        [partitionKey('a', 0), '0'],
        [partitionKey('a', 1), '2'],
      ]),
    );
    expect(seen.mostInFlight).toBe(1);
  });

  it('when a request fails, then the requests queued behind it still run', async () => {
    const { groupAdmin, seen } = kafkajsAdmin(['b']);
    const [failed, answered] = await Promise.allSettled([
      groupAdmin.lag('g', ['b']),
      groupAdmin.lag('g', ['a']),
    ]);
    expect(failed.status).toBe('rejected');
    expect(answered).toEqual({ status: 'fulfilled', value: rows('a') });
    expect(seen.mostInFlight).toBe(1);
  });

  it("when the group's offsets come back without a topic, then it fails naming the partitions instead of leaving them out", async () => {
    const { groupAdmin } = kafkajsAdmin(['b']);
    await expect(groupAdmin.lag('g', ['a', 'b'])).rejects.toThrow(
      'the committed offsets of group g came back without b/0, b/1',
    );
  });

  it('when asked about no topic, then it answers nothing without asking for all of the group', async () => {
    const { groupAdmin, seen } = kafkajsAdmin();
    expect(await groupAdmin.lag('g', [])).toEqual([]);
    expect(seen.offsetsAsked).toEqual([]);
  });
});
