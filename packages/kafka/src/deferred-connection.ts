import type { BatchConsumer } from './batch-consumer.ts';
import { isKafkaError } from './client.ts';
import type { KafkaConnection, KafkaConnectionOptions } from './connection.ts';
import type { GroupAdmin } from './group-admin.ts';
import type { Publisher } from './publisher.ts';
import type { TransactionalProducer } from './transactional-producer.ts';

type ConnectionFactory = (options: KafkaConnectionOptions) => KafkaConnection;

/**
 * A connection whose client library is loaded on first use: every piece it hands out is made at
 * once and builds the real one when first asked for I/O (all of which is asynchronous). Until
 * then a consumer is not joined and owns nothing; stopping a piece never used does nothing, and
 * a stopped piece refuses further I/O.
 */
export function createDeferredConnection(
  options: KafkaConnectionOptions,
  load: () => Promise<ConnectionFactory>,
): KafkaConnection {
  // A failed load (a broken install) is not kept: the next use tries again.
  const connection = memoizeUntilRejected(() => load().then((create) => create(options)));
  /**
   * The real piece, made once on first use; `made()` is it or undefined. After `stop` nothing
   * makes it any more: a late `publish` or `lag` must not open a client nobody would close.
   */
  const piece = <T>(name: string, make: (real: KafkaConnection) => T) => {
    let made: T | undefined;
    let started = false;
    let stopped = false;
    const real = memoizeUntilRejected(async () => {
      made = make(await connection());
      return made;
    });
    return {
      get: () => {
        // A real piece refuses in its own words (a stopped publisher's PublishError).
        if (stopped && !started) return Promise.reject(new Error(`the ${name} is stopped`));
        started = true;
        return real();
      },
      made: () => made,
      /** Marks it stopped; resolves with the real piece if one was made or is being made. */
      stop: async () => {
        stopped = true;
        return started ? real().catch(() => undefined) : undefined;
      },
    };
  };

  return {
    brokers: options.brokers,
    publisher(settings) {
      const publisher = piece('publisher', (c) => c.publisher(settings));
      return {
        publish: async (record) => (await publisher.get()).publish(record),
        start: async () => (await publisher.get()).start(),
        isReady: async () => (await publisher.get()).isReady(),
        async stop() {
          await (await publisher.stop())?.stop();
        },
      } satisfies Publisher;
    },
    batchConsumer(consumerOptions) {
      const consumer = piece('batch consumer', (c) => c.batchConsumer(consumerOptions));
      return {
        start: async () => (await consumer.get()).start(),
        async stop() {
          await (await consumer.stop())?.stop();
        },
        isJoined: () => consumer.made()?.isJoined() ?? false,
        assignment: () => consumer.made()?.assignment() ?? {},
        lag: async () => (await consumer.get()).lag(),
      } satisfies BatchConsumer;
    },
    transactionalProducer(producerOptions) {
      const producer = piece('transactional producer', (c) =>
        c.transactionalProducer(producerOptions),
      );
      return {
        send: async (records, commit) => (await producer.get()).send(records, commit),
        start: async () => (await producer.get()).start(),
        async stop() {
          await (await producer.stop())?.stop();
        },
      } satisfies TransactionalProducer;
    },
    groupAdmin() {
      const admin = piece('group admin', (c) => c.groupAdmin());
      return {
        endOffsets: async (topics) => (await admin.get()).endOffsets(topics),
        startOffsets: async (topics) => (await admin.get()).startOffsets(topics),
        lag: async (groupId, topics) => (await admin.get()).lag(groupId, topics),
        deleteGroup: async (groupId) => (await admin.get()).deleteGroup(groupId),
        async disconnect() {
          await (await admin.stop())?.disconnect();
        },
      } satisfies GroupAdmin;
    },
    ensureTopics: async (topics) => (await connection()).ensureTopics(topics),
    ensureAndDescribeTopics: async (topics, configNames) =>
      (await connection()).ensureAndDescribeTopics(topics, configNames),
    // An error of a library not loaded yet cannot have been raised: the check needs no load.
    isKafkaError,
  };
}

/** `make()`'s promise, shared by every call until it rejects; the next call after that retries. */
function memoizeUntilRejected<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= make().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
