import { join } from 'node:path';
import { repoRoot } from '@kafka-ecs/devstack';
import { type ServiceProcess, startServiceProcess } from '@kafka-ecs/testing';
import { type ProcessMemory, processMemory } from '../process-memory.ts';
import { taskNodeOptions } from './task-flags.ts';

export interface BenchService extends ServiceProcess {
  name: 'producer' | 'consumer';
  /** Memory now and the peak so far (Linux), read before stopping. */
  memory(): ProcessMemory | undefined;
}

/** Log lines kept per service (older ones dropped): a load run logs a line per request. */
const KEEP_LINES = 5_000;

/**
 * Starts a built service the way production does (`node --enable-source-maps dist/main.js`
 * with its task's NODE_OPTIONS), from an explicit environment, on a free port; with
 * `profileDir`, under `--cpu-prof`.
 */
export async function startBenchService(
  name: 'producer' | 'consumer',
  env: Record<string, string>,
  options: { profileDir?: string; onSpawn?: (pid: number) => void } = {},
): Promise<BenchService> {
  const nodeArgs = ['--enable-source-maps'];
  if (options.profileDir) {
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, name)}`);
  }
  const service = await startServiceProcess({
    cwd: join(repoRoot(), 'services', name),
    entry: 'dist/main.js',
    nodeArgs,
    inheritEnv: false,
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: taskNodeOptions(name),
      ...env,
    },
    startTimeoutMs: 30_000,
    onSpawn: options.onSpawn,
  });
  const trim = setInterval(() => {
    if (service.output.length > KEEP_LINES * 2)
      service.output.splice(0, service.output.length - KEEP_LINES);
  }, 1_000);
  trim.unref();
  const stop = service.stop.bind(service);
  return {
    ...service,
    name,
    memory: () => processMemory(service.child.pid),
    async stop(stopOptions) {
      clearInterval(trim);
      return stop(stopOptions);
    },
  };
}

// One of each per bench run (process): the producer signs login tokens with the secret, the
// consumer verifies them with the same one, and the operator token reads every user.
const runTokenSecret = `bench-${crypto.randomUUID()}-${crypto.randomUUID()}`;
const runOperatorToken = `bench-${crypto.randomUUID()}`;

/** The token secret of this bench run's production-mode services (producer and consumer). */
export const benchTokenSecret = (): string => runTokenSecret;

/** The consumer's operator token for this bench run (OPERATOR_TOKENS `bench=…`). */
export const benchOperatorToken = (): string => runOperatorToken;
