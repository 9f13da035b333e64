import { type Admin, Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { waitFor } from './wait-for.ts';

// Raw Kafka administration for the tooling (local stack, tests, bench, reliability audit), below
// the product's boundary (packages/kafka): topics, brokers, offsets and groups as plain data.
// The client library stays in the harness and in packages/kafka, so switching it touches two
// places, and none of the tooling's callers.

/**
 * TLS and SASL for a secured broker (the secure stack's, or a managed one); absent for the plain
 * stack. `ssl: true` trusts the system's CAs; `{ ca }` a private CA's PEM bundle.
 */
export interface KafkaSecurity {
  ssl?: { ca: string } | true;
  sasl?: { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

/** Where tooling reaches Kafka, and how long it waits for it. */
export interface KafkaToolOptions extends KafkaSecurity {
  brokers: string[];
  /** @defaultValue 'kafka-ecs-tooling' */
  clientId?: string;
  /** @defaultValue 3000 */
  connectionTimeoutMs?: number;
  /** @defaultValue 10000 */
  requestTimeoutMs?: number;
  /** Retries of a failed request (0 for a probe that must answer at once). @defaultValue 3 */
  retries?: number;
}

/** Per partition, an offset (the next record's, for an end offset or a committed one). */
export type PartitionOffsets = Map<number, bigint>;

/** The offsets of all partitions added up: a topic's record count from its end offsets (when it
 * holds no transaction markers), or how far a group has read from its committed ones. */
export function offsetSum(offsets: PartitionOffsets): bigint {
  let total = 0n;
  for (const offset of offsets.values()) total += offset;
  return total;
}

export interface NewTopic {
  topic: string;
  /** @defaultValue 8 (the contract's) */
  partitions?: number;
  /** @defaultValue 1 */
  replicationFactor?: number;
  /** Topic settings by name (`cleanup.policy`, `min.insync.replicas`, …). */
  config?: Record<string, string>;
}

export interface PartitionPlacement {
  partition: number;
  /** The leader's node id; negative while the partition has none. */
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface KafkaAdmin {
  listTopics(): Promise<string[]>;
  /**
   * Creates `topics`; with `waitForLeaders`, resolves once the broker it asked names a leader
   * for each partition (in a cluster, ask every broker: see the devstack's topics).
   */
  createTopics(topics: NewTopic[], options?: { waitForLeaders?: boolean }): Promise<void>;
  deleteTopics(topics: string[], options?: { timeoutMs?: number }): Promise<void>;
  /** The node ids the answering broker lists. */
  brokerIds(): Promise<number[]>;
  /** Partition placement of `topics`, as the answering broker knows it. */
  placement(topics: string[]): Promise<Map<string, PartitionPlacement[]>>;
  /** The named settings of `topic`, as the broker resolves them. */
  topicConfig(topic: string, names: string[]): Promise<Record<string, string>>;
  endOffsets(topic: string): Promise<PartitionOffsets>;
  /** `groupId`'s committed offsets on `topics`; a partition it never committed is absent. */
  committedOffsets(
    groupId: string,
    topics: readonly string[],
  ): Promise<Map<string, PartitionOffsets>>;
  /** Commits `offsets` for a group no member runs: where it will start reading. */
  setGroupOffsets(groupId: string, topic: string, offsets: PartitionOffsets): Promise<void>;
  /** Deletes groups; one that does not exist is not a failure, any other answer throws. */
  deleteGroups(groups: string[]): Promise<void>;
  /** Never throws: it runs in `finally` blocks. */
  close(): Promise<void>;
}

/** The client library's object, for the harness's own producer and reader. */
export function kafkaClient(options: KafkaToolOptions): Kafka {
  return new Kafka({
    brokers: options.brokers,
    clientId: options.clientId ?? 'kafka-ecs-tooling',
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 3, initialRetryTime: 200, maxRetryTime: 2_000 },
    logLevel: logLevel.NOTHING,
    ...(options.ssl === undefined
      ? {}
      : { ssl: options.ssl === true ? true : { ca: [options.ssl.ca] } }),
    ...(options.sasl === undefined ? {} : { sasl: { ...options.sasl } as SASLOptions }),
  });
}

/** An admin client that connects on first use (again after a failed connect). */
export function createKafkaAdmin(options: KafkaToolOptions): KafkaAdmin {
  const admin = kafkaClient(options).admin();
  let connected: Promise<void> | undefined;
  const ready = async (): Promise<Admin> => {
    connected ??= admin.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    });
    await connected;
    return admin;
  };
  return {
    listTopics: async () => (await ready()).listTopics(),
    async createTopics(topics, { waitForLeaders = true } = {}) {
      const client = await ready();
      await client.createTopics({
        // kafkajs' own wait gives up at once when the broker's metadata does not know the new
        // topic yet (UNKNOWN_TOPIC_OR_PARTITION, seen on a loaded machine): poll instead.
        waitForLeaders: false,
        topics: topics.map((topic) => ({
          topic: topic.topic,
          numPartitions: topic.partitions ?? 8,
          replicationFactor: topic.replicationFactor ?? 1,
          configEntries: Object.entries(topic.config ?? {}).map(([name, value]) => ({
            name,
            value,
          })),
        })),
      });
      if (!waitForLeaders) return;
      const names = topics.map((topic) => topic.topic);
      await waitFor(() => leadersKnown(client, names), {
        timeoutMs: LEADERS_TIMEOUT_MS,
        intervalMs: 100,
        description: `leaders for ${names.join(', ')}`,
      });
    },
    async deleteTopics(topics, { timeoutMs = 30_000 } = {}) {
      if (topics.length > 0) await (await ready()).deleteTopics({ topics, timeout: timeoutMs });
    },
    async brokerIds() {
      const { brokers } = await (await ready()).describeCluster();
      return brokers.map((broker) => broker.nodeId).sort((a, b) => a - b);
    },
    async placement(topics) {
      const metadata = await (await ready()).fetchTopicMetadata({ topics });
      return new Map(
        metadata.topics.map(({ name, partitions }) => [
          name,
          partitions.map(({ partitionId, leader, replicas, isr }) => ({
            partition: partitionId,
            leader,
            replicas,
            isr,
          })),
        ]),
      );
    },
    async topicConfig(topic, names) {
      const { resources } = await (await ready()).describeConfigs({
        includeSynonyms: false,
        resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: names }],
      });
      return Object.fromEntries(
        (resources[0]?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
      );
    },
    async endOffsets(topic) {
      const offsets = await (await ready()).fetchTopicOffsets(topic);
      return new Map(offsets.map(({ partition, high }) => [partition, BigInt(high)]));
    },
    async committedOffsets(groupId, topics) {
      const committed = await (await ready()).fetchOffsets({ groupId, topics: [...topics] });
      return new Map(
        committed.map(({ topic, partitions }) => [
          topic,
          new Map(
            partitions
              .filter(({ offset }) => Number(offset) >= 0)
              .map(({ partition, offset }) => [partition, BigInt(offset)]),
          ),
        ]),
      );
    },
    async setGroupOffsets(groupId, topic, offsets) {
      await (await ready()).setOffsets({
        groupId,
        topic,
        partitions: [...offsets].map(([partition, offset]) => ({
          partition,
          offset: String(offset),
        })),
      });
    },
    async deleteGroups(groups) {
      if (groups.length === 0) return;
      try {
        await (await ready()).deleteGroups(groups);
      } catch (error) {
        const answers = (error as { groups?: { groupId: string; error?: { type?: string } }[] })
          .groups;
        if (!answers) throw error;
        const failed = answers.filter((answer) => answer.error?.type !== 'GROUP_ID_NOT_FOUND');
        if (failed.length > 0) {
          const which = failed.map((answer) => `${answer.groupId} (${answer.error?.type})`);
          throw new Error(`could not delete groups: ${which.join(', ')}`, { cause: error });
        }
      }
    },
    async close() {
      connected = undefined;
      await admin.disconnect().catch(() => {});
    },
  };
}

/** How long new topics may take to have a leader for every partition. */
const LEADERS_TIMEOUT_MS = 30_000;

/** True when the answering broker names a leader for every partition of `topics`. */
async function leadersKnown(admin: Admin, topics: string[]): Promise<boolean> {
  try {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
    return (
      metadata.length === topics.length &&
      metadata.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
    );
  } catch {
    return false; // the broker does not know them yet
  }
}

/** Kafka's resource type number for a topic (ConfigResourceTypes.TOPIC). */
const TOPIC_RESOURCE = 2;

/** Runs `use` with an admin client, closed afterwards. */
export async function withKafkaAdmin<T>(
  options: KafkaToolOptions,
  use: (admin: KafkaAdmin) => Promise<T>,
): Promise<T> {
  const admin = createKafkaAdmin(options);
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

/**
 * True when a broker among `brokers` answers a metadata request within `timeoutMs` (through TLS
 * and SASL when `security` says so: a secured broker refuses a plain probe).
 */
export async function brokerAnswers(
  brokers: string[],
  timeoutMs = 3_000,
  security: KafkaSecurity = {},
): Promise<boolean> {
  return withKafkaAdmin(
    {
      ...security,
      brokers,
      clientId: 'kafka-probe',
      connectionTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
      retries: 0,
    },
    async (admin) => {
      try {
        await admin.brokerIds();
        return true;
      } catch {
        return false;
      }
    },
  );
}
