import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from './wait-for.ts';

export interface ServiceProcess {
  /** Base URL the service listens on (its log's `listening` line). */
  url: string;
  /** Base URL of its metrics server (`GET {metricsUrl}/metrics`), from the same line. */
  metricsUrl: string;
  child: ChildProcess;
  /** Everything the process printed so far, one entry per line. */
  output: string[];
  /** SIGTERM, then the exit code (or signal) once it exits; SIGKILL past the bound. */
  stop(options?: { timeoutMs?: number }): Promise<number | NodeJS.Signals>;
}

/**
 * Starts a service as a child process from its TypeScript sources (the way `pnpm dev` does) on
 * free ports (PORT and METRICS_PORT 0 unless `env` sets them), and waits for its `listening` log
 * line, which names both addresses.
 */
export async function startServiceProcess(options: {
  cwd: string;
  env?: Record<string, string>;
  /** @defaultValue 'src/main.ts' (with the source condition); a bundle passes 'dist/main.js'. */
  entry?: string;
  /** Node's flags. @defaultValue ['--conditions=kafka-ecs-source'] */
  nodeArgs?: string[];
  /** Start from the test's environment (else from PATH and HOME only). @defaultValue true */
  inheritEnv?: boolean;
  startTimeoutMs?: number;
  /** Called with the process's id as soon as it is spawned, before it is listening. */
  onSpawn?: (pid: number) => void;
}): Promise<ServiceProcess> {
  const base =
    (options.inheritEnv ?? true) ? process.env : { PATH: process.env.PATH, HOME: process.env.HOME };
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? ['--conditions=kafka-ecs-source']), options.entry ?? 'src/main.ts'],
    {
      cwd: options.cwd,
      env: {
        ...base,
        PORT: '0',
        METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        NODE_OPTIONS: '',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid !== undefined) options.onSpawn?.(child.pid);
  const output: string[] = [];
  let url: string | undefined;
  let metricsUrl: string | undefined;
  const local = (address: string | undefined) => address?.replace('0.0.0.0', '127.0.0.1');
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      output.push(line);
      if (url === undefined && line.includes('"listening"')) {
        const listening = JSON.parse(line) as { url?: string; metricsUrl?: string };
        metricsUrl = local(listening.metricsUrl);
        url = local(listening.url);
      }
    });
  }
  // 'close', not 'exit': it fires once the output streams are drained too, so a test that reads
  // `output` after `stop()` sees the last lines.
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once('close', (code, signal) => resolve(signal ?? code ?? 0));
  });
  // Only raced against the start: once the service listens, its exit is stop()'s business.
  const closedEarly = exited.then((how) => {
    throw new Error(`exited with ${how}: ${output.join('\n')}`);
  });
  closedEarly.catch(() => {});
  try {
    await Promise.race([
      waitFor(() => url, {
        timeoutMs: options.startTimeoutMs ?? 20_000,
        description: `service in ${options.cwd} listening`,
      }),
      closedEarly,
    ]);
    if (metricsUrl === undefined) {
      throw new Error(`the "listening" line names no metricsUrl (a build before METRICS_PORT?)`);
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: url as string,
    metricsUrl,
    child,
    output,
    async stop({ timeoutMs = 15_000 } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
