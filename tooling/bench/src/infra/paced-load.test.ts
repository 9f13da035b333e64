import { createServer, type Server } from 'node:http';
import { runPaced } from './paced-load.ts';

describe('runPaced', () => {
  let server: Server;
  let url: string;
  let received: { method?: string; body: string; at: number }[];
  /** How long the server waits before answering. */
  let delayMs: number;
  beforeEach(async () => {
    received = [];
    delayMs = 0;
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        received.push({ method: request.method, body, at: performance.now() });
        // Every fifth answer is a 500, every seventh 2xx carries the wrong body.
        const n = received.length;
        setTimeout(() => {
          response.statusCode = n % 5 === 0 ? 500 : 200;
          response.end(n % 7 === 0 ? 'wrong' : 'right');
        }, delayMs).unref();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/x`;
  });
  afterEach(() => new Promise((resolve) => server.close(resolve)));

  it('when run for a while at a rate, then it sends rate × duration requests, each answer counted as autocannon would', async () => {
    let n = 0;
    const answers: number[] = [];
    const result = await runPaced({
      url,
      method: 'POST',
      rate: 400,
      durationS: 0.25,
      connections: 4,
      body: () => JSON.stringify({ n: n++ }),
      verifyBody: (body) => body === 'right',
      onResponse: (status) => answers.push(status),
      maxMs: 10_000,
    });
    expect(received).toHaveLength(100);
    expect(new Set(received.map((r) => r.body)).size).toBe(100);
    expect(received.every((r) => r.method === 'POST')).toBe(true);
    expect(answers).toHaveLength(100);
    // 20 answers were 500; of the other 80, those numbered 7, 14, … but not 35 and 70 mismatched.
    expect(result).toMatchObject({ responses: 100, non2xx: 20, ok2xx: 80, mismatches: 12 });
    expect(result.errors + result.timeouts).toBe(0);
    // Paced, not all at once: request 100 is due 99/400 s after the first, and none is early.
    const first = received[0]?.at ?? 0;
    expect((received.at(-1)?.at ?? 0) - first).toBeGreaterThanOrEqual(0.9 * ((99 / 400) * 1000));
  });

  it('when the service is slower than the rate, then the latency counts from when each request was due, queueing included', async () => {
    // 20 requests due over 190 ms, one socket, 20 ms each: the last is answered ≥ 400 ms after
    // the first was due, so ≥ 210 ms after it was due itself; sent-to-answer would be ~20 ms.
    delayMs = 20;
    const result = await runPaced({
      url,
      rate: 100,
      durationS: 0.2,
      connections: 1,
      maxMs: 10_000,
    });
    expect(result.responses).toBe(20);
    expect(result.p99Ms).toBeGreaterThanOrEqual(200);
  });

  it('when answers do not come within maxMs, then the run fails naming what was still in flight', async () => {
    delayMs = 60_000;
    await expect(
      runPaced({ url, rate: 100, durationS: 0.1, connections: 2, maxMs: 300 }),
    ).rejects.toThrow(/still had 10 requests in flight at its 300 ms bound/);
    // Two sockets: two requests reached the server, eight waited for a socket and were dropped.
    expect(received).toHaveLength(2);
  });

  it('when nothing listens, then every request is an error and the run still ends', async () => {
    await new Promise((resolve) => server.close(resolve));
    const result = await runPaced({
      url,
      rate: 100,
      durationS: 0.1,
      connections: 2,
      maxMs: 10_000,
    });
    expect(result).toMatchObject({ responses: 0, errors: 10 });
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
});
