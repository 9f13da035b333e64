import { createKafkaClient } from './client.ts';
import type { Logger } from './logger.ts';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Topic-level configuration, e.g. `{ 'retention.ms': '604800000' }`. */
  config?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet, with their partition count; existing topics are left
 * as they are (their partition count is the operator's decision, never changed behind them).
 * Resolves to the topics it created.
 */
export async function ensureTopics(options: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  topics: TopicSpec[];
}): Promise<string[]> {
  const kafka = createKafkaClient({
    brokers: options.brokers,
    clientId: options.clientId,
    logger: options.logger,
    connectionTimeoutMs: 1_000,
  });
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 } });
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = options.topics.filter((spec) => !existing.has(spec.topic));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.topic,
        numPartitions: spec.partitions,
        configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    options.logger.info({ topics: missing.map((spec) => spec.topic) }, 'created topics');
    return missing.map((spec) => spec.topic);
  } finally {
    await admin.disconnect();
  }
}

/** What the broker says about one topic: null when it does not exist. */
export interface TopicDescription {
  topic: string;
  partitions: number;
  /** The topic's effective configuration values asked for (defaults included). */
  config: Record<string, string>;
}

/** Describes the topics (partition counts and the named configuration entries). */
export async function describeTopics(options: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  topics: string[];
  configNames: string[];
}): Promise<Map<string, TopicDescription | null>> {
  const kafka = createKafkaClient({
    brokers: options.brokers,
    clientId: options.clientId,
    logger: options.logger,
    connectionTimeoutMs: 1_000,
  });
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 } });
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const present = options.topics.filter((topic) => existing.has(topic));
    const result = new Map<string, TopicDescription | null>(
      options.topics.map((topic) => [topic, null]),
    );
    if (present.length === 0) return result;
    const { topics } = await admin.fetchTopicMetadata({ topics: present });
    // ConfigResourceTypes.TOPIC is 2; the enum is not worth importing kafkajs' types for.
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((name) => ({ type: 2, name, configNames: options.configNames })),
    });
    for (const metadata of topics) {
      const resource = resources.find((entry) => entry.resourceName === metadata.name);
      result.set(metadata.name, {
        topic: metadata.name,
        partitions: metadata.partitions.length,
        config: Object.fromEntries(
          (resource?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
        ),
      });
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}
