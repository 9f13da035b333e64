import { compatibilityPartitioner, type MessageToProduce, Producer } from '@platformatic/kafka';
import {
  createPublishBatcher,
  DEFAULT_SEND_TIMEOUT_MS,
  type OutgoingRecord,
  type Publisher,
  type PublisherOptions,
} from '../publisher.ts';
import { withTimeout } from '../with-timeout.ts';
import { platformaticBaseOptions } from './client.ts';

const PROBE_TIMEOUT_MS = 900;
const CONNECTION_TIMEOUT_MS = 1_000;
// Three attempts with short pauses, as the kafkajs publisher: enough to ride over a leader
// election, and finished before the send bound.
const SEND_RETRIES = 2;
const RETRY_DELAY_MS = 250;

/**
 * The publisher on @platformatic/kafka: the same contract as the kafkajs one (idempotent,
 * acks=-1, Kafka's murmur2 partitioning, one batch in flight, a bound on every caller's wait),
 * so a service cannot tell which library it runs on.
 */
export function createPlatformaticPublisher(options: PublisherOptions): Publisher {
  const { logger } = options;
  const sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const base = platformaticBaseOptions({
    brokers: options.brokers,
    clientId: options.clientId,
    security: options.security,
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    // Sized so the library gives up (every attempt and pause) before the send bound: a send that
    // outlived its callers' timeout and then succeeded would publish an event the caller was
    // told had failed.
    requestTimeoutMs: Math.max(
      500,
      Math.floor(
        (sendTimeoutMs - CONNECTION_TIMEOUT_MS - SEND_RETRIES * RETRY_DELAY_MS) /
          (SEND_RETRIES + 1),
      ),
    ),
    retry: { retries: SEND_RETRIES, delayMs: RETRY_DELAY_MS },
  });
  const newProducer = () =>
    new Producer({
      ...base,
      idempotent: true,
      acks: -1,
      // Kafka's default partitioning for keyed records, as the Java client and kafkajs:
      // toPositive(murmur2(key)) % partitions. The library's own default differs (murmur2 >>> 0).
      partitioner: compatibilityPartitioner,
    });
  let producer = newProducer();
  // A failed send may leave the producer's sequence numbers unsure; a new producer id starts
  // every partition at 0 (the same rule as the kafkajs publisher, where it was a lost-record bug).
  const replaceProducer = () => {
    const failed = producer;
    producer = newProducer();
    failed.close().catch(() => {});
  };

  let stopped = false;
  const batcher = createPublishBatcher(
    options,
    async (records, signal) => {
      if (stopped) throw new Error('publisher is stopped');
      signal.throwIfAborted();
      const sending = producer;
      // Replaced once, here, where it is known which producer failed: when the send fails, or
      // as soon as the callers' bound passes (they were told the publish failed), since closing
      // it cancels the retries it still has pending (metadata, producer id, produce) and the
      // records are not written later. A request already on the wire cannot be recalled.
      const retire = () => {
        if (producer === sending && !stopped) replaceProducer();
      };
      signal.addEventListener('abort', retire, { once: true });
      try {
        await sending.send({ messages: records.map(toMessage) });
      } catch (error) {
        retire();
        throw error;
      } finally {
        signal.removeEventListener('abort', retire);
      }
    },
    // Nothing more on failure: the send above has already replaced its producer.
    () => {},
  );

  let probing: Promise<boolean> | undefined;
  const probe = async () => {
    try {
      await producer.metadata({ topics: [], forceUpdate: true });
      return true;
    } catch (error) {
      logger.debug({ err: error }, 'kafka readiness probe failed');
      return false;
    }
  };

  return {
    publish: (record) => batcher.add(record),
    async start() {
      // The producer connects on its first request; asking for metadata opens that connection
      // now rather than on the first mutation.
      if (!(await this.isReady())) {
        logger.warn({}, 'kafka producer could not connect yet; will retry on demand');
      }
    },
    isReady() {
      probing ??= withTimeout(probe(), PROBE_TIMEOUT_MS)
        .catch(() => false)
        .finally(() => {
          probing = undefined;
        });
      return probing;
    },
    async stop() {
      await batcher.flush();
      stopped = true;
      await Promise.allSettled([probing]);
      await producer.close().catch(() => {});
    },
  };
}

function toMessage(record: OutgoingRecord): MessageToProduce {
  return {
    topic: record.topic,
    key: Buffer.from(record.key),
    value: typeof record.value === 'string' ? Buffer.from(record.value) : record.value,
    ...(record.headers ? { headers: toHeaders(record.headers) } : {}),
  };
}

/** Headers as the library takes them: bytes for names and values. */
export function toHeaders(headers: Record<string, string>): Map<Buffer, Buffer> {
  return new Map(
    Object.entries(headers).map(([name, value]) => [Buffer.from(name), Buffer.from(value)]),
  );
}
