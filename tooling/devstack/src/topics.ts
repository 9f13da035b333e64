import { DEFAULT_PARTITIONS, TOPIC_CONFIG, type TopicName } from '@kafka-ecs/events';
import {
  createKafkaAdmin,
  type KafkaAdmin,
  type KafkaSecurity,
  withKafkaAdmin,
} from '@kafka-ecs/testing';
import { StackError } from './errors.ts';
import { holdsInARow } from './steady.ts';

const LEADERS_TIMEOUT_MS = 30_000;
const STABLE_ANSWERS = 3;

// Not @kafka-ecs/kafka's ensureTopics: that package's own tests need this stack, so the stack
// sits below it in the dependency graph. Both read the topics' settings from TOPIC_CONFIG.

/**
 * Creates the contract's four topics when missing (existing ones are left as they are; the
 * services' startup checks report a partition mismatch). Returns the names it created.
 * A cluster passes its replication factor (its `min.insync.replicas` applies by default), a
 * secured broker its TLS and SASL.
 */
export async function ensureTopics(
  brokers: string[],
  partitions = DEFAULT_PARTITIONS,
  replicationFactor = 1,
  security: KafkaSecurity = {},
): Promise<string[]> {
  return withKafkaAdmin({ ...security, brokers, clientId: 'devstack' }, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = (Object.keys(TOPIC_CONFIG) as TopicName[]).filter(
      (topic) => !existing.has(topic),
    );
    if (missing.length > 0) {
      await admin.createTopics(
        missing.map((topic) => ({
          topic,
          partitions,
          replicationFactor,
          config: TOPIC_CONFIG[topic],
        })),
        // kafkajs' own wait asks one broker, which in a cluster may not know the topic yet
        // (UNKNOWN_TOPIC_OR_PARTITION ends it); the loop below asks every broker instead.
        { waitForLeaders: false },
      );
      await waitForLeaders(brokers, missing, security);
    }
    return missing;
  });
}

const OFFSETS_TOPIC = '__consumer_offsets';
const WARM_UP_GROUP = 'devstack-warm-up';

/**
 * Has the broker create its offsets topic now and waits until every partition of it has a
 * leader (bounded). Kafka creates that topic on the first group request and answers
 * NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE until then: on a new stack the first test to
 * commit offsets (a transaction's, through kafkajs' short retries) raced it and failed. Cheap
 * when the topic exists.
 */
export async function ensureOffsetsTopic(
  brokers: string[],
  security: KafkaSecurity = {},
): Promise<void> {
  const [topic] = Object.keys(TOPIC_CONFIG) as TopicName[];
  if (!topic) return;
  await withKafkaAdmin(
    { ...security, brokers, clientId: 'devstack', retries: 8 },
    async (admin) => {
      await admin.setGroupOffsets(WARM_UP_GROUP, topic, new Map([[0, 0n]]));
      await admin.deleteGroups([WARM_UP_GROUP]);
    },
  );
  await waitForLeaders(brokers, [OFFSETS_TOPIC], security);
}

/**
 * Until the brokers' metadata names a leader for each partition of `topics` (bounded). kafkajs
 * sends a metadata request to whichever broker it likes, so one answer does not speak for every
 * broker: the answer must hold several times in a row, through a client seeded with each broker.
 */
async function waitForLeaders(
  brokers: string[],
  topics: string[],
  security: KafkaSecurity,
): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  for (const broker of brokers) {
    const admin = createKafkaAdmin({
      ...security,
      brokers: [broker],
      clientId: 'devstack',
      retries: 0,
    });
    try {
      const steady = await holdsInARow(() => knowsLeaders(admin, topics), {
        times: STABLE_ANSWERS,
        intervalMs: 100,
        deadline,
      });
      if (!steady) {
        throw new StackError(
          `the brokers (asked through ${broker}) did not all name leaders for ${topics.join(', ')} within ${LEADERS_TIMEOUT_MS / 1000} s of their creation`,
        );
      }
    } finally {
      await admin.close();
    }
  }
}

async function knowsLeaders(admin: KafkaAdmin, topics: string[]): Promise<boolean> {
  try {
    const placement = await admin.placement(topics);
    return topics.every((topic) => {
      const partitions = placement.get(topic) ?? [];
      return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
    });
  } catch {
    return false; // this broker does not know the topics yet
  }
}
