import { stackUp } from './stack.ts';

/**
 * Jest global setup for packages whose tests need Kafka and Redis: brings the local stack up
 * once (reusing one that already runs, started by `pnpm stack:up` or another package's run) and
 * hands its addresses to the tests through the environment. The stack is left running so the
 * next run starts in seconds; `pnpm stack:down` stops it.
 */
export default async function globalSetup(): Promise<void> {
  const stack = await stackUp({ log: () => {} });
  process.env.KAFKA_BROKERS = stack.kafkaBrokers;
  process.env.REDIS_URL = stack.redisUrl;
}
