import { DEFAULT_PARTITIONS, TOPIC_CONFIG, type TopicName } from '@kafka-ecs/events';
import { Kafka, logLevel } from 'kafkajs';

// Not @kafka-ecs/kafka's ensureTopics: that package's own tests need this stack, so the stack
// sits below it in the dependency graph. Both read the topics' settings from TOPIC_CONFIG.

/**
 * Creates the contract's four topics when missing (existing ones are left as they are; the
 * services' startup checks report a partition mismatch). Returns the names it created.
 */
export async function ensureTopics(
  brokers: string[],
  partitions = DEFAULT_PARTITIONS,
): Promise<string[]> {
  const admin = new Kafka({
    brokers,
    clientId: 'devstack',
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    logLevel: logLevel.NOTHING,
  }).admin({ retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 } });
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = (Object.keys(TOPIC_CONFIG) as TopicName[]).filter(
      (topic) => !existing.has(topic),
    );
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(TOPIC_CONFIG[topic]).map(([name, value]) => ({
            name,
            value,
          })),
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
