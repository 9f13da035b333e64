import { KafkaEcsError } from '@kafka-ecs/errors';
import type { Admin, Message, Producer } from 'kafkajs';
import { type Batcher, type BatchingOptions, createBatcher } from './batching-publisher.ts';
import { createKafkaClient } from './client.ts';
import type { Logger } from './logger.ts';
import { createMurmur2Partitioner } from './partitioner.ts';
import type { KafkaSecurity } from './security.ts';
import { withTimeout } from './with-timeout.ts';

/** One record to publish. The key decides the partition (Kafka's default murmur2 partitioner). */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

/** What one `send` call to the broker carried, for metrics. */
export interface BatchReport {
  records: number;
  durationMs: number;
  error?: unknown;
}

export interface PublisherOptions extends BatchingOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** TLS and SASL towards the brokers. @defaultValue plaintext, no SASL */
  security?: KafkaSecurity;
  /**
   * Bound on one batch, connecting included: past it every caller of the batch is rejected, so
   * a mutation never hangs on a missing broker. kafkajs' own retries are sized to finish first.
   * @defaultValue 5_000
   */
  sendTimeoutMs?: number;
  /** Called after every batch, with its size, duration and error if any. */
  onBatch?: (report: BatchReport) => void;
}

export interface Publisher {
  /**
   * Publishes one record and resolves when every in-sync replica has it (acks=-1). Records
   * published concurrently share one `send` call. Rejects with PublishError when the broker
   * did not acknowledge within the bound.
   */
  publish(record: OutgoingRecord): Promise<void>;
  /** Connects (in the background is fine: publish connects on demand). Never throws. */
  start(): Promise<void>;
  /** True when a broker answers a metadata request now; bounded, never throws. */
  isReady(): Promise<boolean>;
  /** Sends what is queued, waits for it, then disconnects. */
  stop(): Promise<void>;
}

/** Kafka did not acknowledge a record. Worth retrying later: the broker may be back by then. */
export class PublishError extends KafkaEcsError {
  override name = 'PublishError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}

const PROBE_TIMEOUT_MS = 900;
const CONNECTION_TIMEOUT_MS = 1_000;
// Three attempts with short pauses (~0.3 s in all): enough to ride over a leader election.
const SEND_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 500 };

/**
 * The idempotent producer (acks=-1, retries that keep the broker's sequence numbers) behind a
 * batcher. Kafka being down turns into a fast PublishError, never a hang, and the next publish
 * reconnects by itself when the broker is back.
 */
/** PublisherOptions.sendTimeoutMs when unset. */
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;

export function createPublisher(options: PublisherOptions): Publisher {
  const { logger } = options;
  const sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const kafka = createKafkaClient({
    brokers: options.brokers,
    clientId: options.clientId,
    logger,
    security: options.security,
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    // Sized so kafkajs gives up (connect + every attempt + pauses) before the send bound: a send
    // that outlived its callers' timeout and then succeeded would publish an event the caller
    // was told had failed.
    requestTimeoutMs: Math.max(
      500,
      Math.floor((sendTimeoutMs - CONNECTION_TIMEOUT_MS - 500) / (SEND_RETRY.retries + 1)),
    ),
    retry: SEND_RETRY,
  });
  const newProducer = (): Producer => {
    const created = kafka.producer({
      idempotent: true,
      // kafkajs' idempotent default is to retry forever; a bounded send is what lets a mutation
      // answer SERVICE_UNAVAILABLE. Retries within the bound still reuse the sequence numbers.
      retry: SEND_RETRY,
      // Topics are created with their partition count by the stack or ensureTopics, never by a
      // first publish with the broker's default of one partition.
      allowAutoTopicCreation: false,
      // Kafka's default (murmur2) partitioning, computed in 32-bit arithmetic: kafkajs' own
      // partitioner spent ~8 µs per record on 64-bit Long emulation (pnpm bench, see
      // docs/performance.md), about half the publisher's CPU per record.
      createPartitioner: createMurmur2Partitioner,
    });
    created.on(created.events.CONNECT, () => {
      if (created === producer) connected = true;
    });
    created.on(created.events.DISCONNECT, () => {
      if (created === producer) connected = false;
    });
    return created;
  };
  let connected = false;
  let connecting: Promise<void> | undefined;
  let producer: Producer = newProducer();
  const admin: Admin = kafka.admin({ retry: { retries: 0 } });

  /**
   * After a failed send the producer is replaced by one with a new producer id. kafkajs rolls
   * back its sequence numbers for every partition of a failed request, including partitions the
   * broker had accepted; the next records on those would then be acknowledged by the broker as
   * duplicates and never written: acknowledged and lost (found by the reliability suite's
   * broker-loss scenario). A fresh producer id starts every sequence at 0.
   */
  const replaceProducer = () => {
    const failed = producer;
    producer = newProducer();
    connected = false;
    connecting = undefined;
    failed.disconnect().catch(() => {});
  };

  let stopped = false;
  const connect = () => {
    if (stopped) return Promise.reject(new PublishError('publisher is stopped'));
    connecting ??= producer.connect().finally(() => {
      connecting = undefined;
    });
    return connecting;
  };

  const batcher = createPublishBatcher(
    options,
    async (records, signal) => {
      if (!connected) await connect();
      // Connecting may have outlasted the callers' bound: they were told the publish failed, so
      // it must not happen now.
      signal.throwIfAborted();
      await producer.sendBatch({ acks: -1, topicMessages: groupByTopic(records) });
    },
    replaceProducer,
  );

  let probing: Promise<boolean> | undefined;
  const probe = async () => {
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch (error) {
      logger.debug({ err: error }, 'kafka readiness probe failed');
      await admin.disconnect().catch(() => {});
      return false;
    }
  };

  return {
    publish: (record) => batcher.add(record),
    async start() {
      try {
        await connect();
      } catch (error) {
        logger.warn({ err: error }, 'kafka producer could not connect yet; will retry on demand');
      }
    },
    isReady() {
      probing ??= withTimeout(probe(), PROBE_TIMEOUT_MS)
        .catch(() => false)
        .then((up) => {
          // A reachable broker with a producer not yet connected: connect now rather than make
          // the first mutation pay for it.
          if (up && !connected) connect().catch(() => {});
          return up;
        })
        .finally(() => {
          probing = undefined;
        });
      return probing;
    },
    async stop() {
      await batcher.flush();
      stopped = true;
      // A connect still under way would reopen connections after the disconnect below.
      await Promise.allSettled([connecting, probing]);
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}

/**
 * The batcher both libraries' publishers put in front of their producer. `sendBatch` is one
 * acknowledged send; when it fails, `onFailure` runs (the producer is replaced) and the batch's
 * callers get a PublishError. Every batch is reported to `onBatch`. The batcher bounds what
 * callers wait (sendTimeoutMs) without starting the next send before this one settled.
 */
export function createPublishBatcher(
  options: PublisherOptions,
  sendBatch: (records: OutgoingRecord[], signal: AbortSignal) => Promise<void>,
  onFailure: () => void,
): Batcher<OutgoingRecord> {
  const send = async (records: OutgoingRecord[], signal: AbortSignal) => {
    const started = performance.now();
    let error: unknown;
    try {
      await sendBatch(records, signal);
    } catch (cause) {
      error = cause;
      onFailure();
      throw new PublishError(`Kafka did not acknowledge: ${(cause as Error).message}`, { cause });
    } finally {
      options.onBatch?.({
        records: records.length,
        durationMs: performance.now() - started,
        error,
      });
    }
  };
  return createBatcher(send, {
    ...options,
    timeoutMs: options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
    timeoutError: (ms) => new PublishError(`Kafka did not acknowledge within ${ms} ms`),
  });
}

function groupByTopic(records: OutgoingRecord[]): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const record of records) {
    const messages = byTopic.get(record.topic) ?? [];
    // The key as bytes once: the partitioner hashes them and the encoder writes them.
    messages.push({ key: Buffer.from(record.key), value: record.value, headers: record.headers });
    byTopic.set(record.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
