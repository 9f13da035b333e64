import type { Kafka } from 'kafkajs';
import {
  type BatchConsumer,
  type BatchConsumerOptions,
  createBatchConsumer,
} from './batch-consumer.ts';
import { createKafkaClient, isKafkaError } from './client.ts';
import { createDeferredConnection } from './deferred-connection.ts';
import { createGroupAdmin, type GroupAdmin } from './group-admin.ts';
import type { Logger } from './logger.ts';
import { createPublisher, type Publisher, type PublisherOptions } from './publisher.ts';
import type { KafkaSecurity } from './security.ts';
import {
  ensureAndDescribeTopics,
  ensureTopics,
  type TopicDescription,
  type TopicSpec,
} from './topic-admin.ts';
import {
  createTransactionalProducer,
  type TransactionalProducer,
  type TransactionalProducerOptions,
} from './transactional-producer.ts';

export interface KafkaConnectionOptions {
  brokers: string[];
  /** Names this process to the brokers; each piece it hands out adds its role. */
  clientId: string;
  logger: Logger;
  /**
   * TLS and SASL, for every client the connection builds (consumers, transactions, group and
   * topic admin, the publisher). @defaultValue plaintext, no SASL
   */
  security?: KafkaSecurity;
  /**
   * The client library behind every piece: the same contract and guarantees on either.
   * @defaultValue 'kafkajs'
   */
  library?: KafkaLibrary;
}

/** The client libraries a connection can run on (`KAFKA_CLIENT`). */
export const KAFKA_LIBRARIES = ['kafkajs', 'platformatic'] as const;
export type KafkaLibrary = (typeof KAFKA_LIBRARIES)[number];

/**
 * The one way into Kafka, built once per process from the configuration: every piece the
 * services and the failure path use comes from here, and none of them sees a client library
 * type, so a second client library (or TLS and SASL) changes this package only. Building it
 * connects nothing; each piece connects when it starts.
 */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  /** The idempotent, bounded, batching publisher (acks=-1, murmur2 keys). */
  publisher(
    settings?: Omit<PublisherOptions, 'brokers' | 'clientId' | 'logger' | 'security'>,
  ): Publisher;
  /** A consumer-group member that commits a batch only after its handler resolved. */
  batchConsumer(
    options: Omit<BatchConsumerOptions, 'client' | 'logger'> & { logger?: Logger },
  ): BatchConsumer;
  /** Writes records and a batch's offsets in one Kafka transaction. */
  transactionalProducer(
    options: Omit<TransactionalProducerOptions, 'client' | 'logger'>,
  ): TransactionalProducer;
  /** Offsets, lag and group administration, over one lazily connected admin client. */
  groupAdmin(): GroupAdmin;
  /** Creates the topics that do not exist yet; resolves to those it created. */
  ensureTopics(topics: TopicSpec[]): Promise<string[]>;
  /** ensureTopics, then what the broker says about them (partitions, the named configs). */
  ensureAndDescribeTopics(
    topics: TopicSpec[],
    configNames: string[],
  ): Promise<Map<string, TopicDescription>>;
  /** True when the client library raised `error` (broker down, timeout, fenced transaction). */
  isKafkaError(error: unknown): boolean;
}

export function createKafkaConnection(options: KafkaConnectionOptions): KafkaConnection {
  return options.library === 'platformatic'
    ? createDeferredConnection(options, loadPlatformatic)
    : createKafkajsConnection(options);
}

function createKafkajsConnection(options: KafkaConnectionOptions): KafkaConnection {
  const { brokers, clientId, logger, security } = options;
  // Consumers, transactions and group admin share one client object (no I/O until used); the
  // publisher and topic admin build theirs with tighter bounds from the same settings.
  let shared: Kafka | undefined;
  const client = () => {
    shared ??= createKafkaClient({ brokers, clientId, logger, security });
    return shared;
  };
  return {
    brokers,
    publisher: (settings = {}) =>
      createPublisher({ ...settings, brokers, clientId, logger, security }),
    batchConsumer: (consumer) =>
      createBatchConsumer({
        logger,
        ...consumer,
        client: client(),
        newClient: () => createKafkaClient({ brokers, clientId, logger, security }),
      }),
    transactionalProducer: (producer) =>
      createTransactionalProducer({ ...producer, client: client(), logger }),
    groupAdmin: () => createGroupAdmin(client()),
    ensureTopics: (topics) =>
      ensureTopics({ brokers, clientId: `${clientId}-admin`, logger, security, topics }),
    ensureAndDescribeTopics: (topics, configNames) =>
      ensureAndDescribeTopics({
        brokers,
        clientId: `${clientId}-admin`,
        logger,
        security,
        topics,
        configNames,
      }),
    isKafkaError,
  };
}

/**
 * @platformatic/kafka takes ~59 MiB of memory once loaded (its protocol tables, schemas and WASM
 * helpers): loaded on first use, so a process on kafkajs (the default) never pays for it.
 */
const loadPlatformatic = async () =>
  (await import('./platformatic/connection.ts')).createPlatformaticConnection;
