import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

export interface ConsumerAppDeps {
  logger: FastifyBaseLogger;
}

/** Builds the consumer's HTTP app without listening, so tests can inject requests in process. */
export async function buildConsumerApp(deps: ConsumerAppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger, disableRequestLogging: true });
  app.get('/', async () => ({ status: 'ok', service: 'consumer' }));
  return app;
}
