import type { FastifyInstance } from 'fastify';

/**
 * Answers sent once the app is closing end their connection (`connection: close`). Fastify's
 * close stops listening and drops idle connections, then waits for every other one: a
 * keep-alive connection whose request was in flight when the close began would stay open after
 * its answer until the client dropped it (up to Fastify's 72 s keep-alive), well past the
 * shutdown's deadline, which then exits 1 before the Kafka consumer leaves its group.
 * Call it first, before any other `preClose` hook: those may take a while, and an answer sent
 * meanwhile must close its connection too.
 */
export function closeConnectionsWhenClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}
