import { waitFor } from '@kafka-ecs/testing';
import type { BenchContext } from '../context.ts';
import {
  type BenchService,
  benchOperatorToken,
  benchTokenSecret,
  startBenchService,
} from '../infra/services.ts';

/** The producer's environment in production mode, with this run's Redis prefix. */
export function producerEnv(
  context: BenchContext,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    KAFKA_BROKERS: context.brokers.join(','),
    REDIS_URL: context.redisUrl,
    ...context.connections.serviceEnv,
    PORT: '0',
    TOKEN_SECRET: benchTokenSecret(),
    ...overrides,
  };
}

/**
 * The consumer's environment in production mode; the caller names group, topics and prefix.
 * Its retry and dead-letter topics are this run's own (empty) ones: the contract's dead-letter
 * queue keeps 30 days of other runs' records, which a new group's dead-letter indexer would
 * otherwise read from the beginning while the bench measures. Everything the consumer keeps
 * under its group id (groups, retry state, dead-letter index, BullMQ queue) and its view prefix
 * is registered for cleanup.
 */
export function consumerEnv(
  context: BenchContext,
  overrides: Record<string, string> & { CONSUMER_GROUP_ID: string; VIEW_KEY_PREFIX: string },
): Record<string, string> {
  const groupId = overrides.CONSUMER_GROUP_ID;
  context.cleanup.groups.push(groupId, `${groupId}.retry`, `${groupId}.dead-letters`);
  context.cleanup.redisPrefixes.push(
    `${overrides.VIEW_KEY_PREFIX}:`,
    `retry:${groupId}`,
    `dead-letters:${groupId}`,
    `bull:retry-${groupId}`,
  );
  return {
    NODE_ENV: 'production',
    KAFKA_BROKERS: context.brokers.join(','),
    REDIS_URL: context.redisUrl,
    ...context.connections.serviceEnv,
    PORT: '0',
    // Nothing in the consume scenarios calls the producer; /ping's scenario sets its own.
    PRODUCER_SVC_ENDPOINT: 'http://127.0.0.1:9/producer-svc',
    // The producer's secret (login tokens verify), and an operator to read the view as.
    TOKEN_SECRET: benchTokenSecret(),
    OPERATOR_TOKENS: `bench=${benchOperatorToken()}`,
    RETRY_TOPIC: context.failureTopics.retry,
    DEAD_LETTER_TOPIC: context.failureTopics.deadLetter,
    ...overrides,
  };
}

/**
 * Starts a built service, registered for cleanup, and waits until its /ready answers 200.
 * `onSpawn` gets its process id at once, before it is ready.
 */
export async function launch(
  context: BenchContext,
  name: 'producer' | 'consumer',
  env: Record<string, string>,
  options: { onSpawn?: (pid: number) => void } = {},
): Promise<BenchService> {
  const service = await startBenchService(name, env, {
    profileDir: context.profileDir,
    onSpawn: options.onSpawn,
  });
  context.cleanup.services.add(service);
  const ready = name === 'producer' ? `${service.url}/producer-svc/ready` : `${service.url}/ready`;
  await waitFor(
    async () => (await fetch(ready, { signal: AbortSignal.timeout(2_000) })).status === 200,
    { timeoutMs: 30_000, intervalMs: 100, description: `${name} ready` },
  );
  return service;
}

/** Records the process's peak RSS, then stops it (SIGTERM, SIGKILL past 15 s). */
export async function shutdown(context: BenchContext, service: BenchService): Promise<void> {
  const memory = service.memory();
  if (memory) context.peakRss[service.name].push(memory.peakRssMiB);
  try {
    const exit = await service.stop({ timeoutMs: 15_000 });
    if (exit !== 0) context.log(`  ${service.name} exited with ${exit}`);
  } finally {
    context.cleanup.services.delete(service);
  }
}
