import { randomBytes } from 'node:crypto';
import { loadConsumerConfig, readConnectionSecurity } from '@kafka-ecs/config';
import { createEvent, type DomainEvent, encodeEvent } from '@kafka-ecs/events';
import { createKafkaConnection } from '@kafka-ecs/kafka';
import type { RetryPolicy } from '@kafka-ecs/retry';
import { createRedisConnection, type RedisClient, redisTlsOptions } from '@kafka-ecs/service-kit';
import {
  createTestTopics,
  graphql as graphqlOverHttp,
  type RawProducer,
  startTcpProxy,
  type TcpProxy,
  testInfrastructure,
  uniqueName,
} from '@kafka-ecs/testing';
import type { RedisOptions } from 'ioredis';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import {
  type ConsumerService,
  type ConsumerServiceOptions,
  startConsumerService,
} from '../../src/compose.ts';
import { withFaultInjection } from '../../src/domain/handlers/fault-injection.ts';
import { eventHandlers } from '../../src/domain/handlers/index.ts';
import {
  COMMAND_REDIS_OPTIONS,
  SUBSCRIBER_REDIS_OPTIONS,
} from '../../src/infra/notification-subscriber.ts';

export const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Topics, group and key prefix no other test uses. */
export function isolation() {
  return {
    userTopic: uniqueName('new-user-created'),
    tokenTopic: uniqueName('issued-token'),
    groupId: uniqueName('consumer-group'),
    viewPrefix: uniqueName('view'),
    retryTopic: uniqueName('retry'),
    deadLetterTopic: uniqueName('dead-letters'),
  };
}
export type Isolation = ReturnType<typeof isolation>;

/** A fresh isolation whose two event topics exist, created with `topicOptions`. */
export async function createIsolation(
  topicOptions?: Parameters<typeof createTestTopics>[1],
): Promise<Isolation> {
  const iso = isolation();
  await createTestTopics([iso.userTopic, iso.tokenTopic], topicOptions);
  return iso;
}

/** The environment that points a consumer process (main.ts) at one test's topics and keys. */
export const processEnv = (iso: Isolation): Record<string, string> => ({
  CONSUMER_TOPICS: `${iso.userTopic},${iso.tokenTopic}`,
  CONSUMER_GROUP_ID: iso.groupId,
  VIEW_KEY_PREFIX: iso.viewPrefix,
  RETRY_TOPIC: iso.retryTopic,
  DEAD_LETTER_TOPIC: iso.deadLetterTopic,
  OPERATOR_TOKENS: `${OPERATOR_NAME}=${OPERATOR_TOKEN}`,
});

/**
 * The stack's connection settings read as the service reads them: TLS and SASL when the run
 * points at the secure stack (`.stack/secure.env`), nothing otherwise.
 */
export const stackSecurity = readConnectionSecurity(loadConsumerConfig(process.env));

/** ioredis options for `url`: the secure stack's CA for a rediss:// URL (a proxy's is plain). */
export const redisOptionsFor = (url: string) =>
  url.startsWith('rediss://') ? redisTlsOptions(url, stackSecurity.redisCa) : {};

/**
 * Whether this run's Redis is a cluster (`REDIS_CLUSTER=true`, set by `with-redis-cluster` from
 * `.stack/redis-cluster.env`): `pnpm test:redis-cluster` runs suites a second time on one.
 */
export const onRedisCluster = process.env.REDIS_CLUSTER === 'true';

/** A client of this run's Redis (a cluster's when the run is on one), as the service builds it. */
export const newRedis = (url = testInfrastructure().redisUrl, options: RedisOptions = {}) =>
  createRedisConnection(
    { url, cluster: onRedisCluster && url === testInfrastructure().redisUrl },
    { ...COMMAND_REDIS_OPTIONS, ...redisOptionsFor(url), ...options },
  );

/** A TCP proxy in front of this run's Redis, for tests that cut it or hold its answers. */
export function startRedisProxy(): Promise<TcpProxy> {
  const url = new URL(testInfrastructure().redisUrl);
  return startTcpProxy({ target: { host: url.hostname, port: Number(url.port || 6379) } });
}

/** A pino logger at `level` that keeps every line it writes, parsed, in `lines`. */
export function capturingLogger<Line>(level: pino.Level = 'debug') {
  const lines: Line[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** A counter's value summed over its labels. */
export const counterTotal = async (counter: {
  get(): Promise<{ values: { value: number }[] }>;
}): Promise<number> => (await counter.get()).values.reduce((sum, { value }) => sum + value, 0);

/** Retries in milliseconds: 100, 200, 400 ms, dead letter after the 4th failed attempt. */
export const FAST_RETRIES = { maxAttempts: 4, backoffMs: 100, factor: 2, maxBackoffMs: 1_000 };
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * The operator tests read the view as (user data needs a token): one per run, so a token never
 * outlives the run it was made for. `graphql` sends it unless told otherwise.
 */
export const OPERATOR_NAME = 'tests';
export const OPERATOR_TOKEN = `test-operator-${randomBytes(16).toString('hex')}`;

/** The consumer's default TOKEN_SECRET, the producer's too: a local producer's tokens verify. */
export const TOKEN_SECRET = loadConsumerConfig({}).TOKEN_SECRET;

/** A login token as the producer signs it (services/producer/src/infra/jwt-token-issuer.ts). */
export const loginToken = (
  userId: string,
  options: {
    expiresAt?: Date;
    secret?: string;
    issuer?: string;
    /** null: no `aud` claim. */
    audience?: string | null;
  } = {},
) => {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setJti(`token-of-${userId}`)
    .setIssuer(options.issuer ?? 'producer-svc')
    .setIssuedAt()
    .setExpirationTime(
      Math.floor((options.expiresAt ?? new Date(Date.now() + 3_600_000)).getTime() / 1000),
    );
  if (options.audience !== null) jwt.setAudience(options.audience ?? 'consumer-read-api');
  return jwt.sign(new TextEncoder().encode(options.secret ?? TOKEN_SECRET));
};

/**
 * The view's group members a deployed consumer runs on this lane's library (CONSUMER_GROUP_MEMBERS
 * unset: 2 with kafkajs, 1 with platformatic), so the suites run what production runs.
 */
const VIEW_CONSUMER_MEMBERS = loadConsumerConfig({
  KAFKA_CLIENT: testInfrastructure().kafkaLibrary,
}).CONSUMER_GROUP_MEMBERS;

/** The real handlers, failing `failures` times (or always) for usernames starting `doomed`. */
export const failingHandlers = (failures: number | 'always') =>
  withFaultInjection(eventHandlers, { usernamePattern: /^doomed/, failures });

/**
 * Handlers that fail a `doomed` user's every attempt up to FAST_RETRIES' limit, so it is
 * dead-lettered, and a replay (the next attempt) succeeds.
 */
export const failingUntilReplay = () => failingHandlers(FAST_RETRIES.maxAttempts);

export type TestConsumer = ConsumerService & { close(): Promise<void>; redis: RedisClient };

/** Who may read what in a test consumer: `admin` and `tests` operators, reads open (not production). */
export const testAuth: ConsumerServiceOptions['auth'] = {
  tokenSecret: TOKEN_SECRET,
  operators: [
    { name: 'admin', token: ADMIN_TOKEN },
    { name: OPERATOR_NAME, token: OPERATOR_TOKEN },
  ],
  production: false,
  readsNeedToken: false,
};

/**
 * A consumer service in process on port 0 (metrics too: `metricsUrl`), with clients of its own;
 * `close` releases all.
 */
export async function startTestConsumer(
  iso: Isolation,
  overrides: Partial<ConsumerServiceOptions> & {
    redisUrl?: string;
    retryPolicy?: RetryPolicy;
  } = {},
): Promise<TestConsumer> {
  const redis = newRedis(overrides.redisUrl);
  const subscriber = newRedis(overrides.redisUrl, SUBSCRIBER_REDIS_OPTIONS);
  const workerConnection = newRedis(overrides.redisUrl, {
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
  });
  for (const client of [redis, subscriber, workerConnection]) client.on('error', () => {});
  await createTestTopics([iso.retryTopic, iso.deadLetterTopic]);
  const kafka = createKafkaConnection({
    brokers: testInfrastructure().kafkaBrokers,
    clientId: uniqueName('consumer'),
    logger,
    security: stackSecurity.kafka,
    library: testInfrastructure().kafkaLibrary,
  });
  const service = await startConsumerService({
    logger,
    kafka,
    redis,
    subscriber,
    groupId: iso.groupId,
    topics: [iso.userTopic, iso.tokenTopic],
    viewPrefix: iso.viewPrefix,
    // The stack's cluster has a replica per master: its lane runs as production with replicas.
    redisWaitReplicas: onRedisCluster ? 1 : 0,
    producerEndpoint: 'http://127.0.0.1:1/producer-svc',
    pingTimeoutMs: 500,
    port: 0,
    metricsPort: 0,
    host: '127.0.0.1',
    consumerOptions: { sessionTimeoutMs: 6_000, maxBackoffMs: 500 },
    viewConsumerMembers: VIEW_CONSUMER_MEMBERS,
    retry: {
      workerConnection,
      policy: overrides.retryPolicy ?? FAST_RETRIES,
      topics: { retry: iso.retryTopic, deadLetter: iso.deadLetterTopic },
      concurrency: 8,
    },
    auth: testAuth,
    ...overrides,
  });
  return {
    ...service,
    redis,
    async close() {
      await service.stop();
      redis.disconnect();
      subscriber.disconnect();
      workerConnection.disconnect();
    },
  };
}

/** Publishes events the way the producer does: key = user id, value = the encoded envelope. */
export async function publish(
  producer: RawProducer,
  iso: Isolation,
  events: DomainEvent[],
): Promise<void> {
  const byTopic: Record<string, { key: string; value: Buffer }[]> = {};
  for (const event of events) {
    const topic = event.type === 'new-user-created' ? iso.userTopic : iso.tokenTopic;
    const key = event.type === 'new-user-created' ? event.data.id : event.data.userId;
    byTopic[topic] = [...(byTopic[topic] ?? []), { key, value: encodeEvent(event) }];
  }
  await producer.sendToTopics(byTopic);
}

let counter = 0;
export function userCreated(
  overrides: Partial<Extract<DomainEvent, { type: 'new-user-created' }>['data']> = {},
) {
  counter += 1;
  const id = overrides.id ?? uniqueName('user');
  return createEvent('new-user-created', {
    id,
    username: `user.${counter}.${id.slice(-8)}`.toLowerCase(),
    email: `${id}@example.com`,
    firstName: 'Ada',
    lastName: null,
    createdAt: new Date(Date.UTC(2026, 0, 1) + counter * 1000).toISOString(),
    ...overrides,
  });
}

export function tokenIssued(userId: string, issuedAt: Date = new Date()) {
  return createEvent('issued-token', {
    userId,
    tokenId: uniqueName('token'),
    issuedAt: issuedAt.toISOString(),
    expiresAt: new Date(issuedAt.getTime() + 3_600_000).toISOString(),
  });
}

/**
 * The bound on one HTTP request a test makes to a local service. A probe inside `waitFor` that
 * hung would run into jest's timeout and hide the wait's description; bounded, it fails (and is
 * retried by `waitFor`) instead.
 */
const PROBE_TIMEOUT_MS = 5_000;

/** GETs `url` (a local service's route), bounded by PROBE_TIMEOUT_MS. */
export const probe = (url: string) => fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });

/**
 * POSTs a GraphQL operation to the service at `url` (bounded, the harness's client), as
 * `token`'s bearer: OPERATOR_TOKEN when not given, none when null. No answer at all throws, so
 * `waitFor` tries again and a direct call fails saying why.
 */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string | null; timeoutMs?: number } = {},
) {
  const token = options.token === undefined ? OPERATOR_TOKEN : options.token;
  const result = await graphqlOverHttp<T>(`${url}/graphql`, query, variables, {
    timeoutMs: options.timeoutMs ?? PROBE_TIMEOUT_MS,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
  if (result.failure) throw new Error(`no GraphQL answer from ${url}: ${result.failure}`);
  return result;
}

/** The view's user `id` as GraphQL answers it: null when the view has none. */
export async function viewedUser(url: string, id: string) {
  const result = await graphql<{ user: { username: string } | null }>(
    url,
    'query($id: ID!) { user(id: $id) { username } }',
    { id },
  );
  return result.data?.user;
}

export const USER_FIELDS =
  'id username email firstName lastName createdAt tokensIssued lastTokenIssuedAt';
