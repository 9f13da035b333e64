import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@kafka-ecs/testing';
import { stackStatus } from '../src/index.ts';

const DEV = join(import.meta.dirname, '..', 'src', 'dev.ts');

/** The status of a GET, or 'refused' when nothing answers; bounded. */
async function statusOf(url: string): Promise<number | 'refused'> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3_000) })).status;
  } catch {
    return 'refused';
  }
}

// The README's first command: `pnpm dev` on the contract's ports (9000, 9001), so nothing else
// may listen there while it runs; the suite's stack is up, so it is reused and left running.
describe('pnpm dev', () => {
  it('when run beside a running stack, then both services answer, /ping reaches the producer, and Ctrl-C stops them and leaves the stack', async () => {
    const dev = spawn(process.execPath, ['--conditions=kafka-ecs-source', DEV], {
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own: a failed test kills it with its services, not left on the ports.
      detached: true,
    });
    let output = '';
    for (const stream of [dev.stdout, dev.stderr]) stream.on('data', (chunk) => (output += chunk));
    let exit: number | NodeJS.Signals | null | undefined;
    dev.once('exit', (code, signal) => {
      exit = code ?? signal;
    });
    try {
      await waitFor(
        async () =>
          (await statusOf('http://127.0.0.1:9001/producer-svc')) === 200 &&
          (await statusOf('http://127.0.0.1:9000/ping')) === 200,
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          description: 'both services answering, /ping through the producer',
        },
      );
      // Each service's lines, made readable and named.
      expect(output).toMatch(/producer.* \| .*listening/);
      expect(output).toMatch(/consumer.* \| .*listening/);

      dev.kill('SIGINT');
      await waitFor(() => exit !== undefined, {
        timeoutMs: 20_000,
        description: 'pnpm dev exited after Ctrl-C',
      });
      expect(exit).toBe(0);
      expect(output).toContain('[dev] stopping the services');
      expect(output).not.toContain('stopping the stack this command started');
      expect(await statusOf('http://127.0.0.1:9001/producer-svc')).toBe('refused');
      expect(await statusOf('http://127.0.0.1:9000/ping')).toBe('refused');
      const status = await stackStatus();
      expect([status.kafka.state, status.redis.state]).not.toContain('stopped');
    } finally {
      if (exit === undefined && dev.pid !== undefined) process.kill(-dev.pid, 'SIGKILL');
    }
  }, 120_000);
});
