import { pino } from 'pino';
import { createConsumerMetrics } from '../../infra/metrics.ts';
import { createLoggingFailureHandler, type RecordFailure } from './record-failure.ts';

const failure = (retriable: boolean, reason: string): RecordFailure => ({
  record: {
    topic: 'new-user-created',
    partition: 3,
    offset: '42',
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

  it('when a retriable failure repeats in every try, then the third try skips it and tells who asked', async () => {
    const metrics = createConsumerMetrics({ defaultMetrics: false });
    const skipped: string[] = [];
    const handler = createLoggingFailureHandler({
      logger: pino({ level: 'silent' }),
      metrics,
      onSkipped: (skip) => skipped.push(skip.reason),
    });
    const repeating = failure(true, 'Error');
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
    expect(skipped).toEqual([]);
    await expect(handler([repeating, failure(false, 'malformed-json')])).resolves.toEqual([]);
    expect(skipped.sort()).toEqual(['Error', 'malformed-json']);
    // Counted afresh if met again (another rebuild's handler would start at 0 as well).
    await expect(handler([repeating])).rejects.toThrow('1 record(s) failed retriably');
  });
});
