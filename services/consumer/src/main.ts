// Composition root: the only module that reads the environment, creates clients and listens.
import { ConfigError, loadConsumerConfig } from '@kafka-ecs/config';
import { pino } from 'pino';
import { buildConsumerApp } from './app.ts';

const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConsumerConfig(process.env);
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'consumer' } });
  const app = await buildConsumerApp({ logger });
  const url = await app.listen({ host: '0.0.0.0', port: config.PORT });
  logger.info({ url }, 'listening');

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    await app.close();
    clearTimeout(deadline);
    logger.info('stopped');
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('consumer failed to start:', error);
  }
  process.exit(1);
});
