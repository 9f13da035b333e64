import { once } from 'node:events';
import { createServer } from 'node:net';
import { createKafkaConnection, type KafkaConnection } from '@kafka-ecs/kafka';
import { retryGroupIds } from '@kafka-ecs/retry';
import { createRedisConnection, type RedisClient } from '@kafka-ecs/service-kit';
import {
  createTestTopics,
  testInfrastructure,
  uniqueName,
  withKafkaAdmin,
} from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import { type ComposedConsumer, composeConsumer } from '../src/compose.ts';
import { COMMAND_REDIS_OPTIONS } from '../src/infra/notification-subscriber.ts';
import {
  capturingLogger,
  FAST_RETRIES,
  type Isolation,
  isolation,
  newRedis,
  testAuth,
} from './support/harness.ts';

/** A port some other server already listens on (127.0.0.1). */
async function takenPort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The consumer's groups: the main one and the failure path's two. */
const groupsOf = (iso: Isolation) => {
  const retry = retryGroupIds(iso.groupId);
  return [iso.groupId, retry.retry, retry.deadLetters];
};

/** The broker deletes a consumer group only when it has no member left (NON_EMPTY_GROUP). */
const deleteGroups = (groups: string[]) =>
  withKafkaAdmin({ brokers: testInfrastructure().kafkaBrokers }, (admin) =>
    admin.deleteGroups(groups),
  );

/** What `start()` threw, or a failure if it resolved. */
async function startFailure(service: ComposedConsumer): Promise<unknown> {
  return service.start().then(
    ({ url }) => {
      throw new Error(`start() resolved (${url}) although it could not start`);
    },
    (error: unknown) => error,
  );
}

/**
 * The consumer composed as startTestConsumer composes it, on `port` and with clients of its own,
 * logging into `logged`; `kafka` may wrap the connection. `close` releases everything.
 */
async function composeTestConsumer(
  iso: Isolation,
  options: {
    port: number;
    metricsPort?: number;
    kafka?: (kafka: KafkaConnection) => KafkaConnection;
    rollbackDeadlineMs?: number;
    /** The command connection, instead of one to the run's Redis. */
    redis?: RedisClient;
    redisStartTimeoutMs?: number;
  },
) {
  const { logger, lines: logged } = capturingLogger<{
    msg: string;
    step?: string;
    err?: { message: string };
  }>('info');
  const redis = options.redis ?? newRedis();
  const subscriber = newRedis();
  const workerConnection = new Redis(testInfrastructure().redisUrl, {
    maxRetriesPerRequest: null,
  });
  for (const client of [redis, subscriber, workerConnection]) client.on('error', () => {});
  const kafka = createKafkaConnection({
    brokers: testInfrastructure().kafkaBrokers,
    clientId: uniqueName('consumer'),
    logger,
    library: testInfrastructure().kafkaLibrary,
  });
  const service = await composeConsumer({
    logger,
    kafka: options.kafka ? options.kafka(kafka) : kafka,
    redis,
    subscriber,
    groupId: iso.groupId,
    topics: [iso.userTopic, iso.tokenTopic],
    viewPrefix: iso.viewPrefix,
    producerEndpoint: 'http://127.0.0.1:1/producer-svc',
    pingTimeoutMs: 500,
    port: options.port,
    metricsPort: options.metricsPort ?? 0,
    host: '127.0.0.1',
    rollbackDeadlineMs: options.rollbackDeadlineMs,
    redisStartTimeoutMs: options.redisStartTimeoutMs,
    consumerOptions: { sessionTimeoutMs: 6_000, maxBackoffMs: 500 },
    retry: {
      workerConnection,
      policy: FAST_RETRIES,
      topics: { retry: iso.retryTopic, deadLetter: iso.deadLetterTopic },
      concurrency: 2,
    },
    auth: testAuth,
  });
  return {
    service,
    logged,
    async close() {
      // After a rolled-back start this stops the parts again (harmless) and releases what
      // composing built (HTTP app, producer client); without the rollback it stops the leftovers.
      await service.stop().catch(() => {});
      for (const client of [redis, subscriber, workerConnection]) client.disconnect();
    },
  };
}

/** `kafka` whose main consumer (group `groupId`) stops through `stop` instead. */
const withMainConsumerStop =
  (groupId: string, stop: (real: () => Promise<void>) => Promise<void>) =>
  (kafka: KafkaConnection): KafkaConnection => ({
    ...kafka,
    batchConsumer: (options) => {
      const consumer = kafka.batchConsumer(options);
      return options.groupId === groupId
        ? { ...consumer, stop: () => stop(consumer.stop) }
        : consumer;
    },
  });

describe('consumer start', () => {
  let iso: Isolation;
  let port: Awaited<ReturnType<typeof takenPort>>;
  beforeEach(async () => {
    iso = isolation();
    await createTestTopics([iso.userTopic, iso.tokenTopic, iso.retryTopic, iso.deadLetterTopic]);
    port = await takenPort();
  });
  afterEach(async () => {
    await port.close();
    await deleteGroups(groupsOf(iso)).catch(() => {});
  });

  it('when the HTTP port is taken, then start() rejects with that error and has left every group it joined', async () => {
    const { service, close } = await composeTestConsumer(iso, { port: port.port });
    try {
      const error = await startFailure(service);
      expect(error).toMatchObject({ code: 'EADDRINUSE', port: port.port });
      // Asked before anything else stops them: the broker refuses while a member remains.
      await expect(deleteGroups(groupsOf(iso))).resolves.toBeUndefined();
      expect(service.consumer.isJoined()).toBe(false);
      expect(service.retry.isJoined()).toBe(false);
    } finally {
      await close();
    }
  });

  it('when the metrics port is taken, then start() rejects with that error, the public app is closed again and every group is left', async () => {
    const { service, close } = await composeTestConsumer(iso, { port: 0, metricsPort: port.port });
    try {
      const error = await startFailure(service);
      expect(error).toMatchObject({ code: 'EADDRINUSE', port: port.port });
      await expect(deleteGroups(groupsOf(iso))).resolves.toBeUndefined();
      expect(service.app.server.listening).toBe(false);
    } finally {
      await close();
    }
  });

  it('when stopping a part fails during the rollback, then it is logged, the rest is still stopped and start() rejects with its own error', async () => {
    const { service, logged, close } = await composeTestConsumer(iso, {
      port: port.port,
      kafka: withMainConsumerStop(iso.groupId, async (stop) => {
        await stop();
        throw new Error('leave group timed out');
      }),
    });
    try {
      const error = await startFailure(service);
      expect(error).toMatchObject({ code: 'EADDRINUSE', port: port.port });
      expect(logged).toContainEqual(
        expect.objectContaining({
          msg: 'could not stop a part after a failed start',
          step: 'kafka consumer',
          err: expect.objectContaining({ message: 'leave group timed out' }),
        }),
      );
      // The failure path, stopped after the failing step, has left its groups too.
      await expect(deleteGroups(groupsOf(iso))).resolves.toBeUndefined();
    } finally {
      await close();
    }
  });

  it('when stopping a part hangs during the rollback, then start() still rejects with its own error once the deadline passed', async () => {
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { service, logged, close } = await composeTestConsumer(iso, {
      port: port.port,
      rollbackDeadlineMs: 500,
      kafka: withMainConsumerStop(iso.groupId, async (stop) => {
        await released;
        await stop();
      }),
    });
    try {
      const error = await startFailure(service);
      expect(error).toMatchObject({ code: 'EADDRINUSE', port: port.port });
      expect(logged).toContainEqual(
        expect.objectContaining({ msg: 'stopping what had started did not finish in time' }),
      );
    } finally {
      release();
      await close();
    }
  });

  it.each([
    ['a single Redis', false],
    ['a Redis Cluster', true],
  ])(
    'when %s cannot be reached, then start() rejects in time with the reason and joins no group',
    async (_, cluster) => {
      // Nothing listens on port 1 of the loopback. A cluster client there used to wait forever.
      const unreachable = createRedisConnection(
        { url: 'redis://127.0.0.1:1', cluster },
        COMMAND_REDIS_OPTIONS,
      );
      unreachable.on('error', () => {});
      const { service, close } = await composeTestConsumer(iso, {
        port: 0,
        redis: unreachable,
        redisStartTimeoutMs: 500,
      });
      try {
        const error = (await startFailure(service)) as Error;
        expect(error.name).toBe('RedisNotReadyError');
        expect(error.message).toMatch(
          /^Redis (at 127\.0\.0\.1:1 )?not ready after 500 ms .*127\.0\.0\.1:1/,
        );
        expect(service.consumer.isJoined()).toBe(false);
        expect(service.retry.isJoined()).toBe(false);
      } finally {
        await close();
      }
    },
  );
});
