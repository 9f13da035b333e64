import { pino } from 'pino';
import { createConsumerMetrics } from '../../infra/metrics.ts';
import { createLoggingFailureHandler, type RecordFailure } from './record-failure.ts';

let nextOffset = 42;
/** A failed record at an offset of its own. */
const failure = (retriable: boolean, reason: string): RecordFailure => ({
  record: {
    topic: 'new-user-created',
    partition: 3,
    offset: String(nextOffset++),
    key: Buffer.from('u-1'),
    value: Buffer.from('{}'),
    headers: {},
    timestamp: '0',
  },
  error: new Error(reason),
  retriable,
  reason,
});

describe('the rebuild failure handler', () => {
  const setup = () => {
    const metrics = createConsumerMetrics({ defaultMetrics: false });
    const handler = createLoggingFailureHandler({ logger: pino({ level: 'silent' }), metrics });
    return { metrics, handler };
  };

  it('when every failure can never succeed, then they are counted and the batch may be committed', async () => {
    const { metrics, handler } = setup();
    await expect(
      handler([failure(false, 'malformed-json'), failure(false, 'unknown-type')]),
    ).resolves.toEqual([]);
    const counted = await metrics.recordFailures.get();
    expect(counted.values.map((v) => [v.labels.reason, v.value]).sort()).toEqual([
      ['malformed-json', 1],
      ['unknown-type', 1],
    ]);
  });

  it('when a failure is retriable, then the handler rejects so the batch is held, not skipped', async () => {
    const { handler } = setup();
    await expect(handler([failure(false, 'invalid-data'), failure(true, 'Error')])).rejects.toThrow(
      '1 record(s) failed retriably; holding the batch uncommitted',
    );
  });

  it('when a retriable failure repeats in every try, then the third try gives the rebuild up, and keeps the batch held', async () => {
    const gaveUp: string[] = [];
    const handler = createLoggingFailureHandler({
      logger: pino({ level: 'silent' }),
      metrics: createConsumerMetrics({ defaultMetrics: false }),
      onGaveUp: (failure) => gaveUp.push(failure.record.offset),
    });
    const repeating = failure(true, 'Error');
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    expect(gaveUp).toEqual([]);
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    expect(gaveUp).toEqual([repeating.record.offset]);
  });

  it('when skipping failing records, then the third try skips it, and a batch offered again skips it at once and counts it once', async () => {
    const skipped: string[] = [];
    const handler = createLoggingFailureHandler({
      logger: pino({ level: 'silent' }),
      metrics: createConsumerMetrics({ defaultMetrics: false }),
      skipFailing: true,
      onSkipped: (skip, why) => skipped.push(`${skip.reason}:${why}`),
    });
    const repeating = failure(true, 'Error');
    const never = failure(false, 'malformed-json');
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    await expect(handler([repeating, never])).resolves.toEqual([]);
    // The same batch again (its commit lost to a rebalance): skipped at once, counted once.
    await expect(handler([repeating, never])).resolves.toEqual([]);
    expect(skipped.sort()).toEqual(['Error:kept-failing', 'malformed-json:never-applies']);
  });
});
