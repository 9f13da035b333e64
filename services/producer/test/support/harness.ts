import { loadProducerConfig, readConnectionSecurity } from '@kafka-ecs/config';
import { redisClusterUp } from '@kafka-ecs/devstack';
import { createKafkaConnection, type Publisher } from '@kafka-ecs/kafka';
import { createMetricsServer, type RedisClient } from '@kafka-ecs/service-kit';
import {
  createTestTopics,
  deleteKeys,
  graphql as graphqlOverHttp,
  startTcpProxy,
  type TcpProxy,
  testInfrastructure,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import type { ProducerAppSettings } from '../../src/app.ts';
import { composeProducer, type ProducerComponents } from '../../src/compose.ts';
import type { PasswordHasher } from '../../src/domain/ports.ts';
import { createProducerMetrics, observeBatches } from '../../src/infra/metrics.ts';
import { createPasswordHasher } from '../../src/infra/password-hasher.ts';
import { createRedisClient } from '../../src/infra/redis-client.ts';

/**
 * The stack's connection settings read as the service reads them: TLS and SASL when the run
 * points at the secure stack (`.stack/secure.env`), nothing otherwise.
 */
const stackSecurity = readConnectionSecurity(loadProducerConfig(process.env));

/**
 * A client made as the service makes its own (REDIS_CLUSTER = `cluster`): the stack's CA only
 * for a rediss:// URL, since a proxy's or the local cluster's URL is plain beside a secure stack.
 */
function testRedisClient(url: string, cluster: boolean): RedisClient {
  const redis = createRedisClient({
    url,
    cluster,
    ...(url.startsWith('rediss://') ? { ca: stackSecurity.redisCa } : {}),
  });
  redis.on('error', () => {});
  return redis;
}

/** Commands are refused until the client is connected (no offline queue), by design. */
const untilReady = (redis: RedisClient) =>
  waitFor(() => redis.status === 'ready', { timeoutMs: 5_000, description: 'redis' });

/**
 * A client to the stack's Redis, or to the local Redis Cluster (`redisClusterUrl`) with
 * `cluster`, made as the service makes its own, once it is ready.
 */
export async function connectTestRedis(
  options: { url?: string; cluster?: boolean } = {},
): Promise<RedisClient> {
  const redis = testRedisClient(
    options.url ?? testInfrastructure().redisUrl,
    options.cluster ?? false,
  );
  await untilReady(redis);
  return redis;
}

/**
 * The URL of the local three-master Redis Cluster (`pnpm stack:up --redis-cluster`), started
 * when it does not run; a running healthy cluster is left as it is.
 */
export const redisClusterUrl = async () => (await redisClusterUp({ log: () => {} })).redisUrl;

export interface TestProducer {
  url: string;
  /** Its metrics server, as main.ts starts it: `GET {metricsUrl}/metrics`. */
  metricsUrl: string;
  app: FastifyInstance;
  redis: RedisClient;
  /**
   * Until both its Redis connections (the shared one and users' creations') are connected: given
   * a URL, the harness does not wait for them.
   */
  untilConnected(): Promise<void>;
  publisher: Publisher;
  topics: { 'new-user-created': string; 'issued-token': string };
  keyPrefix: string;
  /** POSTs a GraphQL operation; returns the parsed body and the status. */
  graphql(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<{ status: number; body: GraphqlBody }>;
  close(): Promise<void>;
}

export interface GraphqlBody {
  // biome-ignore lint/suspicious/noExplicitAny: test responses are checked field by field
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The error code of a GraphQL answer's first error. */
export const codeOf = (body: GraphqlBody) => body.errors?.[0]?.extensions?.code;

export const PARTITIONS = 8;

/**
 * The producer in process on port 0, wired as main.ts wires it, against the real broker and
 * Redis, publishing to topics of its own (8 partitions) under a Redis prefix of its own.
 */
export async function startTestProducer(
  options: {
    kafkaBrokers?: string[];
    redisUrl?: string;
    /** A Redis Cluster's URL (`redisClusterUrl`) to run on instead, waited for like the stack's. */
    redisCluster?: string;
    settings?: Partial<ProducerComponents['settings']>;
    publishTimeoutMs?: number;
    /** Wraps the settings' hasher, to count or slow its hashes. */
    wrapHasher?: (hasher: PasswordHasher) => PasswordHasher;
    /** Wraps the service's publisher, to act once an event is on the broker. */
    wrapPublisher?: (publisher: Publisher) => Publisher;
    /** To read what the service logs; silent otherwise (TEST_LOG_LEVEL to see it). */
    logger?: Logger;
  } = {},
): Promise<TestProducer> {
  const infrastructure = testInfrastructure();
  const kafkaBrokers = options.kafkaBrokers ?? infrastructure.kafkaBrokers;
  const topics = {
    'new-user-created': uniqueName('new-user-created'),
    'issued-token': uniqueName('issued-token'),
  };
  // Created on the real broker even when the service is pointed elsewhere (a proxy that
  // comes up later), so a recovered service publishes to its own topics.
  await createTestTopics(Object.values(topics), { partitions: PARTITIONS });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const keyPrefix = `${uniqueName('producer')}:`;
  const redisUrl = options.redisCluster ?? options.redisUrl ?? infrastructure.redisUrl;
  const redis = testRedisClient(redisUrl, options.redisCluster !== undefined);
  // A URL given by the test may answer nothing on purpose: no wait for it.
  if (!options.redisUrl) await untilReady(redis);
  // As main.ts: the publisher reports each send into the metrics the service serves.
  const registry = new Registry();
  const metrics = createProducerMetrics(registry);
  const publisher = createKafkaConnection({
    brokers: kafkaBrokers,
    clientId: uniqueName('producer-test'),
    logger,
    // A broker given by the test (a proxy) is the plain stack's; the stack's own may be secure.
    ...(options.kafkaBrokers ? {} : { security: stackSecurity.kafka }),
    library: infrastructure.kafkaLibrary,
  }).publisher({
    sendTimeoutMs: options.publishTimeoutMs ?? 3_000,
    onBatch: observeBatches(metrics),
  });
  // Connected (and given its producer id) before the first request, as main.ts starts it: on a
  // cold, loaded CI run, connecting inside the first publish's 3 s bound once failed a test. A
  // broker given by the test (a proxy) may be down on purpose; publish connects on demand.
  if (!options.kafkaBrokers) await publisher.start();
  const settings: ProducerComponents['settings'] & ProducerAppSettings = {
    production: false,
    ide: true,
    introspection: true,
    maxDepth: 8,
    maxTokens: 1000,
    bodyLimitBytes: 65_536,
    redisKeyPrefix: keyPrefix,
    reservationTtlMs: 60_000,
    tokenSecret: 'test-secret-that-is-at-least-32-characters',
    tokenTtlSeconds: 3600,
    // The cheapest scrypt the config allows: tests create users by the thousand. Tests of
    // argon2id (the production default) ask for it.
    passwordHash: 'scrypt',
    argon2MemoryKib: 19_456,
    argon2Passes: 2,
    scryptCost: 1024,
    loginMaxFailures: 5,
    loginFailureWindowSeconds: 900,
    // As main.ts sets them for Node's default pool of 4 threads.
    hashing: { concurrency: 4, maxWaitMs: 2_000 },
    ...options.settings,
  };
  // As main.ts: users' creations have a connection of their own.
  const creations = testRedisClient(redisUrl, options.redisCluster !== undefined);
  let app: FastifyInstance;
  try {
    if (!options.redisUrl) await untilReady(creations);
    app = await composeProducer({
      logger,
      redis,
      creations,
      publisher: options.wrapPublisher?.(publisher) ?? publisher,
      registry,
      metrics,
      settings,
      hasher: options.wrapHasher?.(createPasswordHasher(settings)),
      topicFor: (type) => topics[type],
    });
  } catch (error) {
    // A start that fails (on purpose, in a test of it) closes what it opened.
    await publisher.stop();
    redis.disconnect();
    creations.disconnect();
    throw error;
  }
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `${address}/producer-svc`;
  const metricsServer = createMetricsServer({ registry, logger });
  const metricsUrl = await metricsServer.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    metricsUrl,
    app,
    redis,
    untilConnected: async () => {
      await Promise.all([untilReady(redis), untilReady(creations)]);
    },
    publisher,
    topics,
    keyPrefix,
    async graphql(query, variables = {}) {
      const result = await graphqlOverHttp(`${url}/graphql`, query, variables);
      if (result.failure) throw new Error(`no GraphQL answer from ${url}: ${result.failure}`);
      return { status: result.status, body: { data: result.data, errors: result.errors } };
    },
    async close() {
      await Promise.all([app.close(), metricsServer.close()]);
      await publisher.stop();
      await deleteKeys(redis, `${keyPrefix}*`).catch(() => {});
      redis.disconnect();
      creations.disconnect();
    },
  };
}

/** A logger whose lines a test reads. */
export function capturedLogs() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
  const messages = () => lines.map((line) => JSON.parse(line) as { msg: string; err?: unknown });
  return { lines, logger, messages };
}

/** The stack's Redis through a proxy a test cuts or holds; the URL keeps scheme and credentials. */
export async function proxiedRedis(): Promise<{ proxy: TcpProxy; url: string }> {
  const url = new URL(testInfrastructure().redisUrl);
  const proxy = await startTcpProxy({ target: { host: url.hostname, port: Number(url.port) } });
  url.host = proxy.address;
  return { proxy, url: url.toString() };
}

export const CREATE_USER = /* GraphQL */ `
  mutation ($input: CreateUserInput!) {
    createUser(input: $input) { id username email firstName lastName createdAt }
  }
`;

export const LOGIN = /* GraphQL */ `
  mutation ($username: String!, $password: String!) {
    login(username: $username, password: $password) { token expiresAt user { id username } }
  }
`;

export const newUser = (overrides: Record<string, unknown> = {}) => ({
  username: uniqueName('user').toLowerCase().slice(0, 64),
  email: 'someone@example.com',
  password: 'correct horse battery',
  ...overrides,
});

/** Counts the hasher's work, so a test can tell whether a login paid for a hash. */
export function countingHasher() {
  const counts = { hash: 0, verify: 0 };
  /** The stored hashes verifications were made against, latest last. */
  const verifiedAgainst: string[] = [];
  const wrap = (inner: PasswordHasher): PasswordHasher => ({
    hash: async (password) => {
      counts.hash++;
      return inner.hash(password);
    },
    verify: async (password, hash) => {
      counts.verify++;
      verifiedAgainst.push(hash);
      return inner.verify(password, hash);
    },
    needsRehash: (hash) => inner.needsRehash(hash),
  });
  return { counts, verifiedAgainst, wrap };
}
