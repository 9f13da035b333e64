import { encodeEvent } from '@kafka-ecs/events';
import type { ConsumedRecord, RecordBatch } from '@kafka-ecs/kafka';
import { eventHandlers } from '../src/domain/handlers/index.ts';
import type { RecordFailure } from '../src/entry-points/kafka/record-failure.ts';
import { createViewBatchProcessor } from '../src/entry-points/kafka/view-batch-processor.ts';
import { createRecordRunner } from '../src/entry-points/retry/record-runner.ts';
import { createConsumerMetrics } from '../src/infra/metrics.ts';
import type { WriteTarget } from '../src/infra/redis-view-store.ts';
import { counterTotal, tokenIssued, userCreated } from './support/harness.ts';
import { createInMemoryViewStore } from './support/in-memory-view-store.ts';

// Unit tests of the hot path's logic (decode → handler → one write → failure seam) against an
// in-memory view store; the same paths run against real Kafka and Redis in view.test.ts,
// poison.test.ts and retries.test.ts.

const TARGET: WriteTarget = { views: ['v1'], notify: true, writer: 'live' };

let offset = 0;
function record(value: Buffer | string | null, key = 'k'): ConsumedRecord {
  offset += 1;
  return {
    topic: 'new-user-created',
    partition: 0,
    offset: String(offset),
    key: Buffer.from(key),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers: {},
    timestamp: String(Date.now()),
  };
}
const batchOf = (records: ConsumedRecord[]): RecordBatch => ({
  topic: 'new-user-created',
  partition: 0,
  records,
});

function processor() {
  const view = createInMemoryViewStore();
  const metrics = createConsumerMetrics({ defaultMetrics: false });
  const routed: RecordFailure[][] = [];
  const handleBatch = createViewBatchProcessor({
    handlers: eventHandlers,
    store: view.store,
    metrics,
    target: async () => TARGET,
    onRecordFailure: async (failures) => {
      routed.push(failures);
      return [];
    },
  });
  const count = (counter: 'eventsApplied' | 'eventsDuplicate') => counterTotal(metrics[counter]);
  return { view, handleBatch, routed, count, metrics };
}

describe('the view batch processor', () => {
  it("when a batch is handled, then its first record's wait since its timestamp and each stage of the batch are observed; a batch without a usable timestamp has no wait", async () => {
    const { handleBatch, metrics } = processor();
    const sent = record(encodeEvent(userCreated()));
    sent.timestamp = String(Date.now() - 3_000);
    await handleBatch(batchOf([sent, record(encodeEvent(userCreated()))]));
    const undated = record(encodeEvent(userCreated()));
    undated.timestamp = 'not a time';
    await handleBatch(batchOf([undated]));
    const wait = (await metrics.batchWait.get()).values;
    const count = wait.find((v) => v.metricName === 'consumer_batch_wait_seconds_count')?.value;
    const sum = wait.find((v) => v.metricName === 'consumer_batch_wait_seconds_sum')?.value ?? 0;
    expect(count).toBe(1);
    expect(sum).toBeGreaterThanOrEqual(3);
    expect(sum).toBeLessThan(60);
    const stages = (await metrics.batchStage.get()).values
      .filter((v) => v.metricName === 'consumer_batch_stage_seconds_count')
      .map((v) => [v.labels.stage, v.value]);
    expect(stages).toEqual([
      ['decode', 2],
      ['apply', 2],
    ]);
  });

  it('when a batch holds valid events, then each is applied once to the target view and nothing is routed', async () => {
    const { view, handleBatch, routed, count } = processor();
    const user = userCreated();
    const token = tokenIssued(user.data.id);
    await handleBatch(batchOf([record(encodeEvent(user)), record(encodeEvent(token))]));
    expect(view.applied('v1').map((change) => change.eventId)).toEqual([user.id, token.id]);
    expect(view.applied('v1')[0]?.change).toMatchObject({ kind: 'profile', userId: user.data.id });
    expect(await count('eventsApplied')).toBe(2);
    expect(routed).toEqual([]);
  });

  it('when the same event comes twice, then the second is counted as a duplicate, not applied', async () => {
    const { view, handleBatch, count } = processor();
    const user = userCreated();
    await handleBatch(batchOf([record(encodeEvent(user))]));
    await handleBatch(batchOf([record(encodeEvent(user))]));
    expect(view.applied('v1')).toHaveLength(1);
    expect({
      applied: await count('eventsApplied'),
      duplicate: await count('eventsDuplicate'),
    }).toEqual({
      applied: 1,
      duplicate: 1,
    });
  });

  it('when records cannot be decoded, then the good ones apply and the bad ones reach the seam as non-retriable', async () => {
    const { view, handleBatch, routed } = processor();
    const user = userCreated();
    const valid = JSON.parse(encodeEvent(user).toString());
    await handleBatch(
      batchOf([
        record('{not json'),
        record(JSON.stringify({ ...valid, type: 'user-deleted' })),
        record(null),
        record(encodeEvent(user)),
      ]),
    );
    expect(view.applied('v1').map((change) => change.eventId)).toEqual([user.id]);
    expect(routed).toHaveLength(1);
    expect(routed[0]?.map(({ retriable, reason }) => ({ retriable, reason }))).toEqual([
      { retriable: false, reason: 'malformed-json' },
      { retriable: false, reason: 'unknown-type' },
      { retriable: false, reason: 'malformed-json' },
    ]);
  });

  it('when Redis answers an error for a change, then that record reaches the seam as retriable', async () => {
    const { view, handleBatch, routed } = processor();
    view.failWith('change', new Error('OOM command not allowed'));
    const source = record(encodeEvent(userCreated()));
    await handleBatch(batchOf([source]));
    expect(
      routed[0]?.map(({ record: failed, retriable }) => ({ offset: failed.offset, retriable })),
    ).toEqual([{ offset: source.offset, retriable: true }]);
  });

  it('when Redis cannot be reached, then the batch rejects (held uncommitted) and nothing is routed', async () => {
    const { view, handleBatch, routed } = processor();
    view.failWith('round-trip', new Error('Connection is closed.'));
    await expect(handleBatch(batchOf([record(encodeEvent(userCreated()))]))).rejects.toThrow(
      'Connection is closed.',
    );
    expect(routed).toEqual([]);
  });
});

describe('the record runner (a retry or a replay of one record)', () => {
  const runner = () => {
    const view = createInMemoryViewStore();
    const run = createRecordRunner({
      handlers: eventHandlers,
      store: view.store,
      metrics: createConsumerMetrics({ defaultMetrics: false }),
      target: async () => TARGET,
    });
    return { view, run };
  };

  it('when the record applies, then it is ok and in the view', async () => {
    const { view, run } = runner();
    const user = userCreated();
    expect(await run(record(encodeEvent(user)), 2)).toEqual({ ok: true });
    expect(view.applied('v1').map((change) => change.eventId)).toEqual([user.id]);
  });

  it('when the handler throws, then the failure comes back classified, the view untouched', async () => {
    const { view, run } = runner();
    const result = await run(record('{not json'), 3);
    expect(result).toMatchObject({
      ok: false,
      failure: { retriable: false, reason: 'malformed-json' },
    });
    expect(view.applied('v1')).toEqual([]);
  });

  it('when Redis cannot be reached, then the run rejects so the job is tried again later', async () => {
    const { view, run } = runner();
    view.failWith('round-trip', new Error('Connection is closed.'));
    await expect(run(record(encodeEvent(userCreated())), 2)).rejects.toThrow(
      'Connection is closed.',
    );
  });
});
