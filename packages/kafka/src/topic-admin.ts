import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { createKafkaClient } from './client.ts';
import type { Logger } from './logger.ts';
import type { KafkaSecurity } from './security.ts';

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Topic-level configuration, e.g. `{ 'retention.ms': '604800000' }`. */
  config?: Record<string, string>;
}

interface AdminOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  security?: KafkaSecurity;
}

/** Runs `work` with a connected admin client (short connect and retry bounds), then disconnects. */
async function withAdmin<T>(options: AdminOptions, work: (admin: Admin) => Promise<T>): Promise<T> {
  const kafka = createKafkaClient({ ...options, connectionTimeoutMs: 1_000 });
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 } });
  try {
    await admin.connect();
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function createMissing(
  admin: Admin,
  topics: TopicSpec[],
  existing: Set<string>,
  logger: Logger,
): Promise<string[]> {
  const missing = topics.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return [];
  // kafkajs' own `waitForLeaders` (on unless turned off) gives up at once on
  // UNKNOWN_TOPIC_OR_PARTITION, which a broker answers for a moment after a create; ours retries.
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: spec.partitions,
      configEntries: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  const names = missing.map((spec) => spec.topic);
  await waitForLeaders(async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: names });
    return metadata.topics.every((topic) =>
      topic.partitions.every((partition) => partition.leader >= 0),
    );
  }, notYetKafkajs);
  logger.info({ topics: names }, 'created topics');
  return names;
}

/** What a broker answers about a topic it does not know yet or whose partitions wait for a leader. */
export const NOT_YET_ERRORS: readonly string[] = [
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
];

/**
 * Whether a kafkajs error says only "not yet": a protocol error of those types, also as the
 * cause of the client's own retries running out.
 */
export const notYetKafkajs = (error: Error): boolean =>
  [error, error.cause].some((candidate) =>
    NOT_YET_ERRORS.includes((candidate as { type?: unknown } | undefined)?.type as string),
  );

// How long topics just created may take to be known, with a leader, to every broker asked.
const NOT_YET_TIMEOUT_MS = 10_000;

/**
 * Runs `attempt` until it resolves to something other than `undefined`, again while it fails
 * with an error `notYet` accepts: right after a create, a broker's metadata can trail its
 * controller's, and the broker a request goes to answers UNKNOWN_TOPIC_OR_PARTITION for a
 * moment. Past `timeoutMs` it throws the last such error, or "`what` after N ms". Both clients'
 * admins use it.
 */
export async function untilKnown<T>(
  attempt: () => Promise<T | undefined>,
  notYet: (error: Error) => boolean,
  what: string,
  timeoutMs = NOT_YET_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: Error | undefined;
    const result = await attempt().catch((error: unknown) => {
      if (!(error instanceof Error && notYet(error))) throw error;
      last = error;
      return undefined;
    });
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw last ?? new Error(`${what} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Resolves once `led` says every partition of the topics just created has a leader. */
export async function waitForLeaders(
  led: () => Promise<boolean>,
  notYet: (error: Error) => boolean,
  timeoutMs?: number,
): Promise<void> {
  await untilKnown(
    async () => ((await led()) ? true : undefined),
    notYet,
    'created topics have no leader',
    timeoutMs,
  );
}

/**
 * Creates the topics that do not exist yet, with their partition count; existing topics are left
 * as they are (their partition count is the operator's decision, never changed behind them).
 * Resolves to the topics it created.
 */
export async function ensureTopics(
  options: AdminOptions & { topics: TopicSpec[] },
): Promise<string[]> {
  return withAdmin(options, async (admin) =>
    createMissing(admin, options.topics, new Set(await admin.listTopics()), options.logger),
  );
}

/** What the broker says about one topic. */
export interface TopicDescription {
  topic: string;
  partitions: number;
  /** The topic's effective configuration values asked for (defaults included). */
  config: Record<string, string>;
}

/**
 * `ensureTopics`, then describes the same topics (partition counts and the named configuration
 * entries), over one admin connection: what a service checks at start.
 */
export async function ensureAndDescribeTopics(
  options: AdminOptions & { topics: TopicSpec[]; configNames: string[] },
): Promise<Map<string, TopicDescription>> {
  return withAdmin(options, async (admin) => {
    await createMissing(admin, options.topics, new Set(await admin.listTopics()), options.logger);
    const names = options.topics.map((spec) => spec.topic);
    // Topics another service has just created were not waited for above.
    const { topics } = await untilKnown(
      () => admin.fetchTopicMetadata({ topics: names }),
      notYetKafkajs,
      'the topics unknown',
    );
    // ConfigResourceTypes.TOPIC is 2; the enum is not worth importing kafkajs' types for. Sent to
    // the controller, which may be another broker than the one that knew the topics above.
    const { resources } = await untilKnown(
      () =>
        admin.describeConfigs({
          includeSynonyms: false,
          resources: names.map((name) => ({ type: 2, name, configNames: options.configNames })),
        }),
      notYetKafkajs,
      'the topics configuration unreadable',
    );
    return new Map(
      topics.map((metadata) => {
        const resource = resources.find((entry) => entry.resourceName === metadata.name);
        const description: TopicDescription = {
          topic: metadata.name,
          partitions: metadata.partitions.length,
          config: Object.fromEntries(
            (resource?.configEntries ?? []).map((entry) => [entry.configName, entry.configValue]),
          ),
        };
        return [metadata.name, description];
      }),
    );
  });
}
