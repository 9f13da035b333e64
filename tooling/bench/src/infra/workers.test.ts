import type { ServiceProcess } from '@kafka-ecs/testing';
import type { HashReport } from '../workers/hash-ceiling-worker.ts';
import { runWorker, startWorkerServer } from './workers.ts';

describe('the ceiling workers', () => {
  const servers: ServiceProcess[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0).reverse()) await server.stop({ timeoutMs: 5_000 });
  });

  it('when the hash worker runs scrypt and argon2id, then it reports how many it hashed and at what rate', async () => {
    for (const kdf of [
      { kdf: 'scrypt', cost: 1_024 },
      { kdf: 'argon2id', memoryKiB: 1_024, passes: 1, parallelism: 1 },
    ] as const) {
      const report = await runWorker<HashReport>(
        'hash-ceiling-worker',
        { ...kdf, hashes: 12, warmup: 2, concurrency: 5 },
        { timeoutMs: 60_000 },
      );
      expect(report.hashes).toBe(12);
      expect(report.hashesPerSecond).toBeCloseTo((12 / report.elapsedMs) * 1000, 6);
      expect(report.threadPool).toBeGreaterThan(0);
    }
  });

  it('when the passthrough runs, then the front relays the back through both hops; other paths are 404', async () => {
    const back = await startWorkerServer('passthrough-server', { ROLE: 'back' });
    servers.push(back);
    const front = await startWorkerServer('passthrough-server', {
      ROLE: 'front',
      UPSTREAM: back.url,
    });
    servers.push(front);
    const answer = await fetch(`${front.url}/ping`, { signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: 'Pong!' });
    const missing = await fetch(`${front.url}/other`, { signal: AbortSignal.timeout(5_000) });
    expect(missing.status).toBe(404);
  });

  it('when the bare Fastify route is asked { __typename }, then it answers what GraphQL answers; without a query it refuses', async () => {
    const server = await startWorkerServer('bare-fastify-server', {
      ROUTE: '/producer-svc/graphql',
    });
    servers.push(server);
    const ask = (body: string) =>
      fetch(`${server.url}/producer-svc/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5_000),
      });
    const answer = await ask(JSON.stringify({ query: '{ __typename }' }));
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe('{"data":{"__typename":"Query"}}');
    expect((await ask('{}')).status).toBe(500);
  });

  it('when a worker prints no report, then the run fails naming it', async () => {
    await expect(runWorker('passthrough-server', {}, { timeoutMs: 10_000 })).rejects.toThrow(
      /passthrough-server exited with 1/,
    );
  });
});
