import { Agent, get } from 'node:http';
import { waitFor } from '@kafka-ecs/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { closeConnectionsWhenClosing } from './closing-connections.ts';

describe('closeConnectionsWhenClosing', () => {
  let app: FastifyInstance;
  // Keeps its connections open as long as the server lets it, as a load balancer does.
  const agent = new Agent({ keepAlive: true });
  afterAll(() => agent.destroy());

  it('when the app closes while a keep-alive request is in flight, then it is answered and the close ends with it', async () => {
    app = Fastify();
    closeConnectionsWhenClosing(app);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived = false;
    app.get('/held', async () => {
      arrived = true;
      await held;
      return { ok: true };
    });
    // Answered once the close has begun (a later preClose hook, as the consumer's GraphQL has):
    // an answer sent before then leaves an idle connection, which the close drops anyway.
    app.addHook('preClose', async () => release());
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };

    const answer = new Promise<{ status?: number; connection?: string; body: string }>(
      (resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/held', agent }, (response) => {
          let body = '';
          response.on('data', (chunk) => {
            body += chunk;
          });
          response.on('end', () =>
            resolve({ status: response.statusCode, connection: response.headers.connection, body }),
          );
        }).on('error', reject);
      },
    );
    await waitFor(() => arrived, { timeoutMs: 5_000, description: 'the request in flight' });
    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    expect(await answer).toEqual({ status: 200, connection: 'close', body: '{"ok":true}' });
    // Without the header the close waits on the idle connection for Fastify's 72 s keep-alive.
    await waitFor(() => closed, { timeoutMs: 5_000, description: 'the app closed' });
    await closing;
  });
});
