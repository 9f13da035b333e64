import type { FastifyInstance } from 'fastify';
import { type ProducerClient, UpstreamError } from '../../infra/producer-client.ts';

/** `GET /ping`: asks the producer's `/ping-what` and answers with its JSON. */
export function registerPingRoute(app: FastifyInstance, deps: { producer: ProducerClient }): void {
  app.get('/ping', async (request, reply) => {
    try {
      return await deps.producer.ping();
    } catch (error) {
      const upstream =
        error instanceof UpstreamError
          ? error
          : new UpstreamError(502, 'PRODUCER_UNREACHABLE', 'producer call failed');
      request.log.warn({ err: error }, 'ping to the producer failed');
      return reply
        .code(upstream.status)
        .send({ error: { code: upstream.code, message: upstream.message } });
    }
  });
}
