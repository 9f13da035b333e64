import { FailureHeaders as H } from '@kafka-ecs/events';
import {
  continueChain,
  InvalidFailureRecordError,
  readChain,
  startChain,
  toDeadLetterRecord,
  toRetryRecord,
} from './failure-chain.ts';

const original = {
  topic: 'new-user-created',
  partition: 3,
  offset: '42',
  key: Buffer.from('user-1'),
  value: Buffer.from('{"id":"e-1"}'),
  headers: { 'event-type': 'new-user-created', 'event-id': 'e-1' },
};
const first = new Date('2026-11-21T10:00:00.000Z');
const later = new Date('2026-11-21T10:01:00.000Z');

describe('a failure chain', () => {
  it('when a record fails, then its retry record keeps key, value and headers and adds the contract headers', () => {
    const chain = startChain(
      original,
      { error: new TypeError('boom'), retriable: true },
      'g',
      first,
    );
    const record = toRetryRecord(chain, 'side-topic-for-retry');
    expect(record.key).toBe(original.key);
    expect(record.value).toBe(original.value);
    expect(record.headers).toEqual({
      'event-type': 'new-user-created',
      'event-id': 'e-1',
      [H.originalTopic]: 'new-user-created',
      [H.originalPartition]: '3',
      [H.originalOffset]: '42',
      [H.attempt]: '1',
      [H.errorName]: 'TypeError',
      [H.errorMessage]: 'boom',
      [H.firstFailureAt]: '2026-11-21T10:00:00.000Z',
      [H.lastFailureAt]: '2026-11-21T10:00:00.000Z',
      [H.consumerGroup]: 'g',
      [H.retriable]: 'true',
    });
  });

  it('when a retry record is read back and fails again, then the chain counts on and the dead letter says why', () => {
    const chain = startChain(original, { error: new Error('one'), retriable: true }, 'g', first);
    const side = { ...toRetryRecord(chain, 'side'), partition: 0, offset: '7' };
    const next = continueChain(
      readChain(side),
      { error: new Error('two'), retriable: true },
      later,
    );
    expect(next).toMatchObject({
      origin: { topic: 'new-user-created', partition: 3, offset: '42' },
      attempt: 2,
      errorMessage: 'two',
      firstFailureAt: '2026-11-21T10:00:00.000Z',
      lastFailureAt: '2026-11-21T10:01:00.000Z',
      headers: original.headers,
    });
    expect(toDeadLetterRecord(next, 'dlq', 'exhausted').headers).toMatchObject({
      [H.attempt]: '2',
      [H.deadLetterReason]: 'exhausted',
    });
  });

  it('when an error message is huge, then the header keeps the first 1000 characters', () => {
    const chain = startChain(
      original,
      { error: new Error('x'.repeat(5_000)), retriable: true },
      'g',
      first,
    );
    expect(chain.errorMessage).toHaveLength(1_000);
  });

  it('when a side-topic record lacks the failure headers, then reading it names every missing one', () => {
    const bare = { ...original, headers: { [H.attempt]: 'zero' } };
    expect(() => readChain(bare)).toThrow(InvalidFailureRecordError);
    expect(() => readChain(bare)).toThrow(
      'new-user-created/3@42 has missing or invalid x-original-topic, x-original-partition, x-original-offset, x-attempt, x-consumer-group, x-first-failure-at',
    );
  });
});
