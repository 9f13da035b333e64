import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';

export const BASE_PATH = '/producer-svc';

export interface ProducerAppDeps {
  logger: FastifyBaseLogger;
}

/** Builds the producer's HTTP app without listening, so tests can inject requests in process. */
export async function buildProducerApp(deps: ProducerAppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger, disableRequestLogging: true });
  // The load balancer's health check: answers while the process can serve HTTP at all.
  app.get(BASE_PATH, async () => ({ status: 'ok', service: 'producer' }));
  app.get(`${BASE_PATH}/ping-what`, async () => ({ ok: 'Pong!' }));
  return app;
}
