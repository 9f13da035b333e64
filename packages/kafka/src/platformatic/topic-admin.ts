import { Admin, ConfigResourceTypes, findErrorBy, UserError } from '@platformatic/kafka';
import type { Logger } from '../logger.ts';
import {
  NOT_YET_ERRORS,
  type TopicDescription,
  type TopicSpec,
  untilKnown,
  waitForLeaders,
} from '../topic-admin.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './client.ts';

type AdminOptions = Omit<PlatformaticClientOptions, 'connectionTimeoutMs' | 'retry'> & {
  logger: Logger;
};

/**
 * Whether a @platformatic/kafka error says only "not yet": a protocol error of those kinds
 * anywhere in it, or the UserError "Unknown topic …" its metadata call turns
 * UNKNOWN_TOPIC_OR_PARTITION into once its own retries ran out.
 */
export const notYetPlatformatic = (error: Error): boolean =>
  NOT_YET_ERRORS.some((apiId) => findErrorBy(error, 'apiId', apiId) !== null) ||
  findErrorBy(error, 'code', UserError.code)?.message.startsWith('Unknown topic ') === true;

async function withAdmin<T>(options: AdminOptions, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(
    platformaticBaseOptions({
      ...options,
      connectionTimeoutMs: 1_000,
      retry: { retries: 2, delayMs: 500 },
    }),
  );
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

async function createMissing(admin: Admin, topics: TopicSpec[], logger: Logger) {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((spec) => !existing.has(spec.topic));
  // One request per topic: the library applies one set of configs to all topics of a request.
  for (const spec of missing) {
    await admin
      .createTopics({
        topics: [spec.topic],
        partitions: spec.partitions,
        configs: Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value })),
      })
      .catch((error: unknown) => {
        // The other service, starting at the same time, created it first: as with kafkajs,
        // not a failure.
        if (!(error instanceof Error) || !findErrorBy(error, 'apiId', 'TOPIC_ALREADY_EXISTS')) {
          throw error;
        }
      });
  }
  if (missing.length === 0) return [];
  const names = missing.map((spec) => spec.topic);
  await waitForLeaders(async () => {
    const metadata = await admin.metadata({ topics: names, forceUpdate: true });
    return names.every((topic) =>
      metadata.topics.get(topic)?.partitions.every((partition) => partition.leader >= 0),
    );
  }, notYetPlatformatic);
  logger.info({ topics: names }, 'created topics');
  return names;
}

/** ensureTopics on @platformatic/kafka: creates what is missing, resolves to what it created. */
export function ensureTopicsPlatformatic(
  options: AdminOptions & { topics: TopicSpec[] },
): Promise<string[]> {
  return withAdmin(options, (admin) => createMissing(admin, options.topics, options.logger));
}

/** ensureAndDescribeTopics on @platformatic/kafka, over one admin client. */
export function ensureAndDescribeTopicsPlatformatic(
  options: AdminOptions & { topics: TopicSpec[]; configNames: string[] },
): Promise<Map<string, TopicDescription>> {
  return withAdmin(options, async (admin) => {
    await createMissing(admin, options.topics, options.logger);
    const names = options.topics.map((spec) => spec.topic);
    // Topics another service has just created were not waited for above.
    const metadata = await untilKnown(
      () => admin.metadata({ topics: names, forceUpdate: true }),
      notYetPlatformatic,
      'the topics unknown',
    );
    const configs = await untilKnown(
      () =>
        admin.describeConfigs({
          resources: names.map((resourceName) => ({
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName,
            configurationKeys: options.configNames,
          })),
        }),
      notYetPlatformatic,
      'the topics configuration unreadable',
    );
    return new Map(
      names.map((topic) => {
        const resource = configs.find((entry) => entry.resourceName === topic);
        const description: TopicDescription = {
          topic,
          partitions: metadata.topics.get(topic)?.partitionsCount ?? 0,
          config: Object.fromEntries(
            (resource?.configs ?? []).map((entry) => [entry.name, entry.value ?? '']),
          ),
        };
        return [topic, description];
      }),
    );
  });
}
