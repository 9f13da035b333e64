import { stackSettings, stackUp } from './stack.ts';
import { secureStackUp } from './stack-secure.ts';

/**
 * Jest global setup for packages whose tests need Kafka and Redis: brings the local stack up
 * once (reusing one that already runs, started by `pnpm stack:up` or another package's run) and
 * hands its addresses to the tests through the environment. The stack is left running so the
 * next run starts in seconds; `pnpm stack:down` stops it.
 *
 * A run on the local Redis Cluster (`REDIS_CLUSTER=true`, from `with-redis-cluster`) keeps its
 * REDIS_URL. An environment that already names a secured Kafka (`source .stack/secure.env`, or a managed
 * cluster) is the caller's choice and is kept as it is: the secure stack is brought up when it is
 * the one named, and nothing is started for anything else.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_SSL === 'true' || (process.env.KAFKA_SASL_MECHANISM ?? 'none') !== 'none') {
    const settings = stackSettings();
    if (process.env.KAFKA_BROKERS === `127.0.0.1:${settings.kafkaSecurePort}`) {
      await secureStackUp({ settings, log: () => {} });
    }
    return;
  }
  const stack = await stackUp({ log: () => {} });
  process.env.KAFKA_BROKERS = stack.kafkaBrokers;
  // A run on the Redis Cluster (`with-redis-cluster`) keeps its REDIS_URL; Kafka is the stack's.
  if (process.env.REDIS_CLUSTER !== 'true') process.env.REDIS_URL = stack.redisUrl;
}
