import { connect, type Socket } from 'node:net';
import { waitFor } from '@kafka-ecs/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { lingerOnUnreadBody } from './lingering-close.ts';

interface Answer {
  text: string;
  error?: string;
}

/**
 * A client that announces a body far over the limit and keeps sending it, reading nothing until
 * `readWhen` resolves: by then the answer is in its receive buffer, and so is whatever the
 * server did with the connection (a FIN, or a reset that throws the answer away).
 */
function floodingClient(port: number, readWhen: Promise<unknown>): Promise<Answer> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    socket.pause();
    socket.on('connect', () => {
      socket.write(
        'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n',
      );
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk)) {}
      };
      socket.on('drain', pump);
      pump();
    });
    void readWhen.then(() => socket.resume());
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('"statusCode":413')) socket.destroy();
    });
    socket.on('error', (cause: NodeJS.ErrnoException) => {
      error = cause.code;
    });
    socket.on('close', () => resolve({ text, error }));
  });
}

describe('lingerOnUnreadBody', () => {
  let app: FastifyInstance;
  let port: number;
  let answered: Promise<Socket>;

  async function start(linger: boolean) {
    app = Fastify({ bodyLimit: 1024 });
    if (linger) lingerOnUnreadBody(app, { lingerMs: 5_000 });
    app.post('/', async () => ({ ok: true }));
    answered = new Promise((resolve) => {
      app.addHook('onResponse', async (request) => resolve(request.raw.socket));
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  }
  afterEach(() => app.close());

  /** Resolves once the server has written its whole answer and let go of its end. */
  const serverDone = async () => {
    const socket = await answered;
    await waitFor(() => socket.writableFinished, {
      timeoutMs: 5_000,
      description: 'answer flushed',
    });
    return socket;
  };

  it('when a client is still sending a body over the limit, then it reads the whole 413 before the connection closes', async () => {
    await start(true);
    const answer = await floodingClient(port, serverDone());
    expect(answer.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.text).toContain('"code":"FST_ERR_CTP_BODY_TOO_LARGE"');
  });

  it('when the server does not linger, then the same client loses the answer to a reset (the failure this prevents)', async () => {
    await start(false);
    const answer = await floodingClient(
      port,
      serverDone().then((socket) =>
        waitFor(() => socket.destroyed, { timeoutMs: 5_000, description: 'server socket closed' }),
      ),
    );
    expect(answer.text).toBe('');
    // The reset shows up on the client's next write (EPIPE) or read (ECONNRESET).
    expect(['EPIPE', 'ECONNRESET']).toContain(answer.error);
  });
});
