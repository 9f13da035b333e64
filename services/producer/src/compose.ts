import type { EventType } from '@kafka-ecs/events';
import type { Publisher } from '@kafka-ecs/kafka';
import type { RedisClient } from '@kafka-ecs/service-kit';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { buildProducerApp, type ProducerAppSettings } from './app.ts';
import { createUserUseCase } from './domain/create-user.use-case.ts';
import { loginUseCase } from './domain/login.use-case.ts';
import type { Clock, PasswordHasher } from './domain/ports.ts';
import { createUserCommits } from './domain/user-commits.ts';
import { boundPasswordHasher, type HashingLimits } from './infra/bounded-password-hasher.ts';
import { createJwtTokenIssuer } from './infra/jwt-token-issuer.ts';
import { createKafkaEventPublisher } from './infra/kafka-event-publisher.ts';
import { createProducerMetrics, type ProducerMetrics } from './infra/metrics.ts';
import { createPasswordHasher, type PasswordHashSettings } from './infra/password-hasher.ts';
import { createRedisLoginThrottle } from './infra/redis-login-throttle.ts';
import { createRedisUserStore } from './infra/redis-user-store.ts';

export interface ProducerComponents {
  logger: Logger;
  /** A single Redis or a Cluster (REDIS_CLUSTER): the store picks its key names from which. */
  redis: RedisClient;
  /**
   * A second connection to the same Redis for users' creations, which wait for replicas
   * (redisWaitReplicas) on it: a WAIT holds its connection, and logins must not queue behind it.
   */
  creations: RedisClient;
  publisher: Publisher;
  registry: Registry;
  metrics?: ProducerMetrics;
  settings: ProducerAppSettings &
    PasswordHashSettings & {
      redisKeyPrefix: string;
      /** REDIS_WAIT_REPLICAS. @defaultValue 0 */
      redisWaitReplicas?: number;
      reservationTtlMs: number;
      tokenSecret: string;
      tokenTtlSeconds: number;
      loginMaxFailures: number;
      loginFailureWindowSeconds: number;
      /** See LoginDeps.followUpBoundMs. */
      loginFollowUpBoundMs?: number;
      /** How many hashes run at once and how many may wait; see boundPasswordHasher. */
      hashing: HashingLimits;
    };
  clock?: Clock;
  /** Tests count or hold hashes through a wrapper (still bounded); otherwise the settings'. */
  hasher?: PasswordHasher;
  /** Tests publish to their own topics; production uses the contract's. */
  topicFor?: (type: EventType) => string;
}

/**
 * Wires the use cases to their adapters and builds the app. Receives the clients (created and
 * closed by main.ts or a test), so it does no I/O of its own.
 */
export async function composeProducer(components: ProducerComponents) {
  const { logger, redis, creations, settings } = components;
  const clock = components.clock ?? { now: () => new Date() };
  const metrics = components.metrics ?? createProducerMetrics(components.registry);
  const store = createRedisUserStore(redis, {
    keyPrefix: settings.redisKeyPrefix,
    creations,
    waitReplicas: settings.redisWaitReplicas,
  });
  const commits = createUserCommits({
    store,
    logger,
    onLost: (reason) => metrics.userCommitsLost.inc({ reason }),
    onPendingChange: (pending) => metrics.userCommitsPending.set(pending),
  });
  const publisher = createKafkaEventPublisher({
    publisher: components.publisher,
    metrics,
    topicFor: components.topicFor,
  });
  const hasher = boundPasswordHasher(
    components.hasher ?? createPasswordHasher(settings),
    settings.hashing,
    { onRefused: () => metrics.hashesRefused.inc() },
  );
  const useCases = {
    createUser: createUserUseCase({
      store,
      publisher,
      hasher,
      clock,
      logger,
      reservationTtlMs: settings.reservationTtlMs,
      commits,
    }),
    // Awaited: it hashes the unknown-user dummy, and a failure there must stop the start.
    login: await loginUseCase({
      store,
      publisher,
      hasher,
      throttle: createRedisLoginThrottle(redis, {
        keyPrefix: settings.redisKeyPrefix,
        maxFailures: settings.loginMaxFailures,
        windowSeconds: settings.loginFailureWindowSeconds,
      }),
      clock,
      logger,
      tokens: createJwtTokenIssuer({ secret: settings.tokenSecret }),
      tokenTtlSeconds: settings.tokenTtlSeconds,
      followUpBoundMs: settings.loginFollowUpBoundMs,
    }),
  };
  const app = await buildProducerApp({
    logger,
    useCases,
    settings,
    readiness: [
      { name: 'kafka-producer', check: () => components.publisher.isReady() },
      {
        name: 'redis',
        check: async () => redis.status === 'ready' && (await redis.ping()) === 'PONG',
      },
      // Connected is enough: a PING there would queue behind a WAIT for a missing replica.
      { name: 'redis-creations', check: () => creations.status === 'ready' },
    ],
  });
  // When closing starts (main.ts' shutdown, before in-flight requests finish and Redis is
  // quit): a caller's commit is not tried again, the background's get a last try.
  app.addHook('preClose', () => commits.close());
  return app;
}
