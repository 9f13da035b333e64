import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';
import { waitFor } from '@kafka-ecs/testing';
import { Counter, Registry } from 'prom-client';
import { createMetricsServer, type MetricsServer } from './metrics-server.ts';

const silent = { warn: () => {} };

/** A registry with one counter at 3, as a service's would be after some work. */
function registryWithCounter() {
  const registry = new Registry();
  new Counter({ name: 'events_total', help: 'events', registers: [registry] }).inc(3);
  return registry;
}

/** One request on a connection of its own (no keep-alive pool between tests). */
function send(url: string, method = 'GET') {
  return fetch(url, { method, signal: AbortSignal.timeout(5_000) });
}

describe('metrics server', () => {
  let server: MetricsServer;
  afterEach(() => server.close());

  it('when GET /metrics, then Prometheus text from the registry', async () => {
    const registry = registryWithCounter();
    server = createMetricsServer({ registry, logger: silent });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await send(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    expect(await response.text()).toContain('events_total 3');
  });

  it('when anything else is asked, then 404 and no metrics', async () => {
    server = createMetricsServer({ registry: registryWithCounter(), logger: silent });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    for (const [path, method] of [
      ['/', 'GET'],
      ['/ready', 'GET'],
      ['/metrics/x', 'GET'],
      ['/metrics', 'POST'],
      ['/metrics', 'DELETE'],
    ] as const) {
      const response = await send(`${url}${path}`, method);
      expect({ path, method, status: response.status }).toEqual({ path, method, status: 404 });
      expect(await response.text()).not.toContain('events_total');
    }
  });

  it('when rendering hangs (a collect waiting on a broker), then 503 within the bound', async () => {
    const registry = new Registry();
    new Counter({
      name: 'hung_total',
      help: 'hangs on collect',
      registers: [registry],
      collect: () => new Promise<void>(() => {}),
    });
    const warned: unknown[] = [];
    server = createMetricsServer({
      registry,
      logger: { warn: (entry: unknown) => void warned.push(entry) },
      renderTimeoutMs: 200,
    });
    const url = await server.listen({ host: '127.0.0.1', port: 0 });
    const started = performance.now();
    const response = await send(`${url}/metrics`);
    expect(response.status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(warned).toHaveLength(1);
  });

  it('when a client trickles its headers, then it is cut at the headers bound like on the public app', async () => {
    server = createMetricsServer({
      registry: new Registry(),
      logger: silent,
      limits: { requestTimeoutMs: 600, headersTimeoutMs: 400 },
    });
    const url = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
    const started = performance.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(url.port), '127.0.0.1');
      let received = '';
      const drip = setInterval(() => socket.write('X-A: b\r\n'), 100);
      socket.on('connect', () => socket.write('GET /metrics HTTP/1.1\r\n'));
      socket.on('data', (chunk) => {
        received += chunk.toString();
      });
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(drip);
        resolve(received);
      });
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    // Checked every connectionsCheckingInterval (1 s): the 408 comes in [400, 1400) ms.
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('when its port is taken, then listen rejects with EADDRINUSE', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    server = createMetricsServer({ registry: new Registry(), logger: silent });
    try {
      await expect(server.listen({ host: '127.0.0.1', port })).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('when closed with a keep-alive scraper connected, then it closes at once, and closing again is harmless', async () => {
    server = createMetricsServer({ registry: registryWithCounter(), logger: silent });
    const url = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/metrics', agent },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    await server.close();
    agent.destroy();
  });

  it('when closed while a keep-alive scrape is in flight, then the scrape is answered and the close ends with it', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let collecting = false;
    const registry = new Registry();
    new Counter({
      name: 'held_total',
      help: 'waits on collect until released',
      registers: [registry],
      collect: () => {
        collecting = true;
        return held;
      },
    });
    server = createMetricsServer({ registry, logger: silent });
    const url = new URL(await server.listen({ host: '127.0.0.1', port: 0 }));
    const agent = new Agent({ keepAlive: true });
    const answer = new Promise<[number | undefined, string | undefined]>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/metrics', agent },
        (response) => {
          response.resume();
          response.on('end', () => resolve([response.statusCode, response.headers.connection]));
        },
      );
      req.on('error', reject);
      req.end();
    });
    await waitFor(() => collecting, { timeoutMs: 5_000, description: 'the scrape in flight' });
    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    release();
    expect(await answer).toEqual([200, 'close']);
    // Without it the close waits on the kept-alive connection for Node's 5 s keep-alive.
    await waitFor(() => closed, { timeoutMs: 2_000, description: 'the server closed' });
    await closing;
    agent.destroy();
  });
});
