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
