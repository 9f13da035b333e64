import { createServer, type Server } from 'node:http';
import { runPaced } from './paced-load.ts';

describe('runPaced', () => {
  let server: Server;
  let url: string;
  let received: { method?: string; body: string }[];
  beforeEach(async () => {
    received = [];
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        received.push({ method: request.method, body });
        // Every fifth answer is a 500, every seventh 2xx carries the wrong body.
        const n = received.length;
        response.statusCode = n % 5 === 0 ? 500 : 200;
        response.end(n % 7 === 0 ? 'wrong' : 'right');
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
    expect(result.p99Ms).toBeGreaterThanOrEqual(result.p50Ms);
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
