import type { ServiceProcess } from '@kafka-ecs/testing';
import type { BenchContext } from '../context.ts';
import type { HashReport } from '../password-hash.ts';
import { runWorker, startWorkerServer, stopWorkerServer } from './workers.ts';

/** Just the part of a bench run's context the server workers use: its cleanup list. */
const context = { cleanup: { workers: new Set<ServiceProcess>() } } as unknown as BenchContext;

describe('the ceiling workers', () => {
  afterEach(async () => {
    for (const server of [...context.cleanup.workers].reverse()) {
      await stopWorkerServer(context, server);
    }
  });

  it('when the hash worker runs scrypt and argon2id, then it reports how many it hashed and at what rate', async () => {
    for (const kdf of [
      { kdf: 'scrypt', cost: 1_024 },
      { kdf: 'argon2id', memoryKiB: 1_024, passes: 1, parallelism: 1 },
    ] as const) {
      const report = await runWorker<HashReport>(
        'hash-ceiling-worker',
        { ...kdf, hashes: 12, warmup: 2, concurrency: 5 },
        { timeoutMs: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } },
      );
      expect(report.hashes).toBe(12);
      expect(report.elapsedMs).toBeGreaterThan(0);
      expect(report.hashesPerSecond).toBeGreaterThan(0);
      // Started like the producer (no UV_THREADPOOL_SIZE): libuv's default pool.
      expect(report.threadPool).toBe(4);
    }
  });

  it('when the passthrough runs, then the front relays the back through both hops; other paths are 404', async () => {
    const back = await startWorkerServer(context, 'passthrough-server', { ROLE: 'back' });
    const front = await startWorkerServer(context, 'passthrough-server', {
      ROLE: 'front',
      UPSTREAM: back.url,
    });
    // Registered for the run's cleanup while they run.
    expect(context.cleanup.workers.size).toBe(2);
    const answer = await fetch(`${front.url}/ping`, { signal: AbortSignal.timeout(5_000) });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: 'Pong!' });
    const missing = await fetch(`${front.url}/other`, { signal: AbortSignal.timeout(5_000) });
    expect(missing.status).toBe(404);
  });

  it('when the bare Fastify route is asked { __typename }, then it answers what GraphQL answers; without a query it refuses', async () => {
    const server = await startWorkerServer(context, 'bare-fastify-server', {
      ROUTE: '/producer-svc/graphql',
    });
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
