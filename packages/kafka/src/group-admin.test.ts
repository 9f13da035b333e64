import { type GroupAdmin, partitionKey, waitForCommitted } from './group-admin.ts';

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
