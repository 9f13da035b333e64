import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, type ServiceProcess, startServiceProcess } from '@kafka-ecs/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerPingRoute } from '../src/entry-points/http/ping.route.ts';
import { createProducerClient, type ProducerClient } from '../src/infra/producer-client.ts';

const TIMEOUT_MS = 400;
// A client bound for the cases not about the timer: the first request after a cold start (or on
// a loaded machine) may take longer than TIMEOUT_MS without anything being wrong.
const GENEROUS_TIMEOUT_MS = 5_000;
// What a timed-out ping may take beyond its timer: scheduling and teardown on a loaded machine.
const TIMER_SLACK_MS = 1_000;

describe('GET /ping', () => {
  let app: FastifyInstance;
  let producer: ProducerClient;
  const servers: Server[] = [];

  const pingVia = async (baseUrl: string, timeoutMs = TIMEOUT_MS) => {
    producer = createProducerClient({ baseUrl, timeoutMs });
    app = Fastify();
    registerPingRoute(app, { producer });
    const started = Date.now();
    const response = await app.inject('/ping');
    return { status: response.statusCode, body: response.json(), elapsedMs: Date.now() - started };
  };

  const listen = async (handler: Parameters<typeof createServer>[1]) => {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/producer-svc`;
  };

  afterEach(async () => {
    await app?.close();
    producer?.close();
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when the real producer runs, then its pong comes back', async () => {
    let service: ServiceProcess | undefined;
    try {
      service = await startServiceProcess({ cwd: `${import.meta.dirname}/../../producer` });
      // The producer has only just logged `listening`: its first answer may be slow.
      const { status, body } = await pingVia(`${service.url}/producer-svc`, GENEROUS_TIMEOUT_MS);
      expect(status).toBe(200);
      expect(body).toEqual({ ok: 'Pong!' });
    } finally {
      await service?.stop();
    }
  });

  it('when nothing listens on the producer port, then 502 JSON at once', async () => {
    // Below the ephemeral range: a port a server had from listen(0) could be taken again as
    // the source of the client's own connection, which would then reach itself.
    const url = `http://127.0.0.1:${await freePort()}/producer-svc`;
    // A refused connection is answered without waiting out the client bound.
    const { status, body, elapsedMs } = await pingVia(url, GENEROUS_TIMEOUT_MS);
    expect(status).toBe(502);
    expect(body).toEqual({ error: { code: 'PRODUCER_UNREACHABLE', message: expect.any(String) } });
    expect(elapsedMs).toBeLessThan(GENEROUS_TIMEOUT_MS);
  });

  it('when the producer is slower than PING_TIMEOUT_MS, then 504 JSON within the bound', async () => {
    const url = await listen((_request, response) => {
      setTimeout(() => response.end('{"ok":"Pong!"}'), 5_000).unref();
    });
    const { status, body, elapsedMs } = await pingVia(url);
    expect(status).toBe(504);
    expect(body).toEqual({ error: { code: 'PRODUCER_TIMEOUT', message: expect.any(String) } });
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + TIMER_SLACK_MS);
  });

  it('when the producer trickles its answer past the bound, then 504 too', async () => {
    const url = await listen((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => response.write(' '), 100);
      response.on('close', () => clearInterval(timer));
    });
    const { status, elapsedMs } = await pingVia(url);
    expect(status).toBe(504);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + TIMER_SLACK_MS);
  });

  it('when the producer answers garbage or an error status, then 502', async () => {
    const garbage = await listen((_request, response) => response.end('<html>oops'));
    expect((await pingVia(garbage, GENEROUS_TIMEOUT_MS)).body).toMatchObject({
      error: { code: 'PRODUCER_BAD_RESPONSE' },
    });
    await app.close();
    producer.close();
    const failing = await listen((_request, response) => {
      response.statusCode = 500;
      response.end('{"ok":"Pong!"}');
    });
    const { status, body } = await pingVia(failing, GENEROUS_TIMEOUT_MS);
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: { code: 'PRODUCER_BAD_RESPONSE' } });
  });

  it('when the producer answers with megabytes, then the consumer stops reading at 64 KiB and answers 502', async () => {
    const url = await listen((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"ok":"${'x'.repeat(8 * 1024 * 1024)}"}`);
    });
    const { status, body } = await pingVia(url, GENEROUS_TIMEOUT_MS);
    expect(status).toBe(502);
    expect(body).toMatchObject({ error: { code: 'PRODUCER_UNREACHABLE' } });
  });
});
