import { KafkaEcsError } from '@kafka-ecs/errors';
import { type DeadLetterReason, FailureHeaders as H, isFailureHeader } from '@kafka-ecs/events';
import type { ConsumedRecord, RawRecord } from '@kafka-ecs/kafka';

/** A record as read from any topic: the kafka package's, less what the failure path ignores. */
export type SourceRecord = Omit<ConsumedRecord, 'timestamp'>;

/**
 * One record's way through the failure path: where it came from, how often and how it failed.
 * It travels in the headers of the side-topic and dead-letter records, so each step can be taken
 * by any instance, after any restart.
 */
export interface FailureChain {
  origin: { topic: string; partition: number; offset: string };
  key: Buffer | null;
  value: Buffer | null;
  /** The original record's own headers (event-type, event-id), carried along unchanged. */
  headers: Record<string, string>;
  /** Failed attempts so far, the first run included. */
  attempt: number;
  errorName: string;
  errorMessage: string;
  /** False when the last failure would repeat whatever the delay (straight to dead letter). */
  retriable: boolean;
  firstFailureAt: string;
  lastFailureAt: string;
  consumerGroup: string;
}

export interface AttemptFailure {
  error: Error;
  retriable: boolean;
}

/** Long enough to diagnose, short enough that headers stay far below the record size limit. */
const MAX_ERROR_MESSAGE = 1_000;

/** The first failure of a record read from an event topic. */
export function startChain(
  record: SourceRecord,
  failure: AttemptFailure,
  consumerGroup: string,
  now: Date,
): FailureChain {
  const at = now.toISOString();
  return {
    origin: { topic: record.topic, partition: record.partition, offset: record.offset },
    key: record.key,
    value: record.value,
    headers: Object.fromEntries(
      Object.entries(record.headers).filter(([name]) => !isFailureHeader(name)),
    ),
    attempt: 1,
    errorName: failure.error.name,
    errorMessage: failure.error.message.slice(0, MAX_ERROR_MESSAGE),
    retriable: failure.retriable,
    firstFailureAt: at,
    lastFailureAt: at,
    consumerGroup,
  };
}

/** One more failed attempt of the same chain. */
export function continueChain(
  chain: FailureChain,
  failure: AttemptFailure,
  now: Date,
): FailureChain {
  return {
    ...chain,
    attempt: chain.attempt + 1,
    errorName: failure.error.name,
    errorMessage: failure.error.message.slice(0, MAX_ERROR_MESSAGE),
    retriable: failure.retriable,
    lastFailureAt: now.toISOString(),
  };
}

/** The contract's headers for a chain, after the original record's own. */
function chainHeaders(chain: FailureChain): Record<string, string> {
  return {
    ...chain.headers,
    [H.originalTopic]: chain.origin.topic,
    [H.originalPartition]: String(chain.origin.partition),
    [H.originalOffset]: chain.origin.offset,
    [H.attempt]: String(chain.attempt),
    [H.errorName]: chain.errorName,
    [H.errorMessage]: chain.errorMessage,
    [H.firstFailureAt]: chain.firstFailureAt,
    [H.lastFailureAt]: chain.lastFailureAt,
    [H.consumerGroup]: chain.consumerGroup,
  };
}

export function toRetryRecord(chain: FailureChain, topic: string): RawRecord {
  return {
    topic,
    key: chain.key,
    value: chain.value,
    headers: { ...chainHeaders(chain), [H.retriable]: String(chain.retriable) },
  };
}

export function toDeadLetterRecord(
  chain: FailureChain,
  topic: string,
  reason: DeadLetterReason,
): RawRecord {
  return {
    topic,
    key: chain.key,
    value: chain.value,
    headers: { ...chainHeaders(chain), [H.deadLetterReason]: reason },
  };
}

/** A side-topic or dead-letter record whose headers do not describe a failure chain. */
export class InvalidFailureRecordError extends KafkaEcsError {}

const TOPIC = /^[a-zA-Z0-9._-]+$/;
const WHOLE = /^\d+$/;

/** Reads the chain back from a side-topic or dead-letter record; throws when it is not one. */
export function readChain(record: SourceRecord): FailureChain {
  const h = record.headers;
  const problems: string[] = [];
  const topic = h[H.originalTopic] ?? '';
  if (!TOPIC.test(topic)) problems.push(H.originalTopic);
  const partition = h[H.originalPartition] ?? '';
  if (!WHOLE.test(partition)) problems.push(H.originalPartition);
  const offset = h[H.originalOffset] ?? '';
  if (!WHOLE.test(offset)) problems.push(H.originalOffset);
  const attempt = Number(h[H.attempt]);
  if (!Number.isInteger(attempt) || attempt < 1) problems.push(H.attempt);
  const group = h[H.consumerGroup] ?? '';
  if (group === '') problems.push(H.consumerGroup);
  const first = h[H.firstFailureAt] ?? '';
  const last = h[H.lastFailureAt] ?? first;
  if (Number.isNaN(Date.parse(first))) problems.push(H.firstFailureAt);
  if (problems.length > 0) {
    throw new InvalidFailureRecordError(
      `${record.topic}/${record.partition}@${record.offset} has missing or invalid ${problems.join(', ')}`,
    );
  }
  return {
    origin: { topic, partition: Number(partition), offset },
    key: record.key,
    value: record.value,
    headers: Object.fromEntries(Object.entries(h).filter(([name]) => !isFailureHeader(name))),
    attempt,
    errorName: h[H.errorName] ?? 'Error',
    errorMessage: h[H.errorMessage] ?? '',
    retriable: h[H.retriable] !== 'false',
    firstFailureAt: first,
    lastFailureAt: Number.isNaN(Date.parse(last)) ? first : last,
    consumerGroup: group,
  };
}
