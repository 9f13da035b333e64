import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { waitFor } from '@kafka-ecs/testing';
import { createProgress, probe, scrapeCounter, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

// services/consumer/test/ping.test.ts covers the route in process against fake producers
// (refused, slow, trickling, HTML, 500). Here: the real processes, a producer that hangs
// (SIGSTOP) or dies (SIGKILL) and another program answering on its port with what a producer
// never sends: bytes that are not HTTP, an endless or a huge body, a redirect, JSON that is not
// an object.

const PING_TIMEOUT_MS = 800;
const scope = useScope();

interface PingAnswer {
  status: number;
  ms: number;
  code?: string;
}

async function ping(consumerUrl: string): Promise<PingAnswer> {
  const answer = await probe(`${consumerUrl}/ping`, 10_000);
  let code: string | undefined;
  try {
    code = (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
  } catch {
    code = 'NOT_JSON';
  }
  return { status: answer.status, ms: answer.ms, code };
}

type HttpHandler = NonNullable<Parameters<typeof createHttpServer>[1]>;

/** The process' resident memory in MiB, from its Prometheus metrics (its metrics server). */
async function rss(metricsUrl: string): Promise<number> {
  return Math.round((await scrapeCounter(metricsUrl, 'process_resident_memory_bytes')) / 2 ** 20);
}

/** What the consumer's /ping asks the producer for. */
const PING_WHAT_PATH = '/producer-svc/ping-what';

type ImpostorHandler = { http: HttpHandler } | { tcp: (socket: Socket) => void };

interface Impostor {
  /** How many /ping-what requests got the bad answer (an HTTP impostor's only). */
  pingsServed(): number;
  close(): Promise<void>;
}

/**
 * Something else listening on the producer's port: an HTTP handler or a raw TCP one. An HTTP
 * impostor gives its bad answer only to /ping-what and a quick 503 to everything else: the
 * scenario's load keeps POSTing mutations to this port, and a huge or endless body (or a
 * redirect to the internet) for each of those would load this jest process, which also times
 * the /ping answers, rather than the consumer under test.
 */
async function impostor(port: number, handler: ImpostorHandler): Promise<Impostor> {
  let pingsServed = 0;
  const server: Server | TcpServer =
    'http' in handler
      ? createHttpServer((request, response) => {
          if (request.url === PING_WHAT_PATH) {
            pingsServed += 1;
            return handler.http(request, response);
          }
          response.writeHead(503, { 'content-type': 'text/plain' });
          response.end('an impostor: only /ping-what is answered here');
        })
      : createTcpServer(handler.tcp);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // The producer's port was free a moment ago; if something took it, say so rather than throw
  // an uncaught 'error' event.
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) =>
      reject(new Error(`impostor could not listen on 127.0.0.1:${port}: ${error.message}`));
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
  return {
    pingsServed: () => pingsServed,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('/ping when the producer misbehaves', () => {
  it('when the producer hangs, dies, or something else answers on its port, then /ping answers 504 or 502 JSON within PING_TIMEOUT_MS, the consumer stays live, and it recovers when the producer is back', async () => {
    const step = createProgress('ping');
    const system = await startSystem(scope, {
      consumerEnv: { PING_TIMEOUT_MS: String(PING_TIMEOUT_MS) },
    });
    step('system up');
    const { consumer } = system;
    const producerPort = Number(new URL(system.producer.url).port);
    await system.waitForAssignment();
    const load = system.startLoad({ ratePerSecond: 30, maxMutations: 1_500 });
    await load.waitForMoreAcks(50);
    const healthy = await ping(consumer.url);

    // Hung: the kernel still accepts connections, nothing answers. A burst of pings must all
    // end at the bound, and the consumer's own liveness must not wait behind them.
    step('healthy ping');
    await system.producer.signal('SIGSTOP');
    const [hung, live] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => ping(consumer.url))),
      probe(`${consumer.url}/`),
    ]);
    step('hung pings');
    await system.producer.signal('SIGCONT');
    await waitFor(async () => (await ping(consumer.url)).status === 200, {
      timeoutMs: 10_000,
      description: '/ping 200 after the producer resumed',
    });

    // Dead: nothing listens.
    step('resumed');
    await system.producer.signal('SIGKILL');
    const dead = await ping(consumer.url);

    // Impostors on the producer's port.
    const answers: Record<string, PingAnswer> = {};
    const memory: Record<string, number> = {};
    const pingsServed: Record<string, number> = {};
    const impostors: Record<string, ImpostorHandler> = {
      'not HTTP': {
        tcp: (socket) => {
          socket.on('error', () => {});
          socket.end(Buffer.from('\u0000\u00ff garbage \r\n\r\n not http at all'));
        },
      },
      'endless body': {
        http: (_request, response) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.write('{"ok":"');
          const timer = setInterval(() => response.write('o'), 20);
          response.on('close', () => clearInterval(timer));
        },
      },
      'huge body': {
        http: (_request, response) => {
          // 256 MiB as fast as loopback carries it: the consumer must not buffer it all.
          response.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(1 << 20, 'x');
          let sent = 0;
          const pump = () => {
            while (sent < 256 && response.write(chunk)) sent += 1;
            if (sent >= 256) response.end();
          };
          response.on('drain', () => {
            sent += 1;
            pump();
          });
          response.on('error', () => {});
          pump();
        },
      },
      redirect: {
        http: (_request, response) => {
          response.writeHead(302, { location: 'http://example.com/' });
          response.end();
        },
      },
      'JSON that is not an object': {
        http: (_request, response) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end('"Pong!"');
        },
      },
    };
    // One at a time on the one port: each listens only once the one before it closed.
    for (const [name, handler] of Object.entries(impostors)) {
      const { close, pingsServed: served } = await impostor(producerPort, handler);
      try {
        const before = await rss(consumer.metricsUrl);
        answers[name] = await ping(consumer.url);
        pingsServed[name] = served();
        memory[name] = (await rss(consumer.metricsUrl)) - before;
      } finally {
        step(`impostor: ${name} ${JSON.stringify(answers[name])} rss +${memory[name]} MiB`);
        await close();
      }
    }
    const liveAfter = await probe(`${consumer.url}/`);

    step('impostors done');
    await system.producer.restart();
    await waitFor(async () => (await ping(consumer.url)).status === 200, {
      timeoutMs: 10_000,
      description: '/ping 200 after the producer restarted',
    });
    await load.waitForMoreAcks(50);

    step('recovered');
    const all = [...hung, dead, ...Object.values(answers)];
    await finishAndExpectNothingLost('/ping', system, load, {
      pings: all.length + 3,
      slowestPingMs: Math.round(Math.max(...all.map((answer) => answer.ms))),
      livenessDuringHangMs: Math.round(live.ms),
      // What one /ping against a producer sending 256 MiB made the consumer hold.
      rssGrowthOnHugeBodyMiB: memory['huge body'] ?? 0,
    });

    expect(healthy.status).toBe(200);
    for (const answer of hung)
      expect(answer).toMatchObject({ status: 504, code: 'PRODUCER_TIMEOUT' });
    expect(dead).toMatchObject({ status: 502, code: 'PRODUCER_UNREACHABLE' });
    expect(answers).toEqual({
      'not HTTP': expect.objectContaining({ status: 502 }),
      'endless body': expect.objectContaining({ status: 504, code: 'PRODUCER_TIMEOUT' }),
      'huge body': expect.objectContaining({ status: expect.any(Number) }),
      redirect: expect.objectContaining({ status: 502, code: 'PRODUCER_BAD_RESPONSE' }),
      'JSON that is not an object': expect.objectContaining({
        status: 502,
        code: 'PRODUCER_BAD_RESPONSE',
      }),
    });
    expect([502, 504]).toContain(answers['huge body']?.status);
    // Each HTTP impostor's bad answer went to what /ping asks for, not the 503 of other paths.
    const unasked = Object.keys(pingsServed).filter((name) => pingsServed[name] === 0);
    expect(unasked).toEqual(['not HTTP']);
    // Never a hang: every answer within the bound plus the request's own overhead.
    for (const answer of all) expect(answer.ms).toBeLessThan(PING_TIMEOUT_MS + 700);
    expect(live.status).toBe(200);
    expect(live.ms).toBeLessThan(500);
    expect(liveAfter.status).toBe(200);
    expect(consumer.alive()).toBe(true);
  }, 150_000);
});
