import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { httpClientLimits } from './http-limits.ts';

/** Sends `head`, then `drip` every 100 ms; resolves with what came back and when. */
function slowClient(
  port: number,
  head: string,
  drip = ' ',
): Promise<{ answer: string; ms: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setInterval(() => socket.write(drip), 100);
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ answer, ms: performance.now() - started });
    });
  });
}

describe('httpClientLimits', () => {
  let app: FastifyInstance;
  let port: number;
  beforeEach(async () => {
    app = Fastify(httpClientLimits({ requestTimeoutMs: 600, headersTimeoutMs: 400 }));
    app.post('/', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });
  afterEach(() => app.close());

  it('when a client trickles its body, then it gets 408 once the request bound passed', async () => {
    const { answer, ms } = await slowClient(
      port,
      'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(ms).toBeGreaterThanOrEqual(550);
    // Node looks for expired requests only every connectionsCheckingInterval (1 s), so the 408
    // comes anywhere in [600, 1600) ms; 3 s leaves room for a loaded machine.
    expect(ms).toBeLessThan(3_000);
  });

  it('when a client trickles its headers, then it is cut at the headers bound', async () => {
    const { answer, ms } = await slowClient(port, 'POST / HTTP/1.1\r\n', 'X-A: b\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // As above: checked every 1 s, so the 408 comes in [400, 1400) ms.
    expect(ms).toBeLessThan(3_000);
  });

  it('when a client is quick, then it is answered as usual', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await response.json()).toEqual({ ok: true });
  });
});
