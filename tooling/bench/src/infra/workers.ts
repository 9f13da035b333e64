import { extname, join } from 'node:path';
import { type ServiceProcess, startServiceProcess } from '@kafka-ecs/testing';
import type { BenchContext } from '../context.ts';
import type { PublishJob, PublishReport } from '../workers/publish-worker.ts';
import { runToEnd } from './run-to-end.ts';

/** A file of src/workers/ (or dist/workers/ once built), next to this module's folder. */
const workerFile = (name: string) =>
  join(import.meta.dirname, '..', 'workers', `${name}${extname(import.meta.filename)}`);

/**
 * Runs a worker of src/workers/ as a child process with one JSON argument and resolves with the
 * JSON report it prints as its last line; killed and rejected past `timeoutMs`. With
 * `profileDir`, under `--cpu-prof` into `profileDir/<profileName>`.
 */
export async function runWorker<Report>(
  name: string,
  job: unknown,
  options: {
    timeoutMs: number;
    profileDir?: string;
    profileName?: string;
    /** Its whole environment. @defaultValue the bench's */
    env?: NodeJS.ProcessEnv;
  },
): Promise<Report> {
  const profile = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, options.profileName ?? name)}`]
    : [];
  const { stdout } = await runToEnd(
    process.execPath,
    [...process.execArgv, ...profile, workerFile(name), JSON.stringify(job)],
    { timeoutMs: options.timeoutMs, description: name, env: options.env },
  );
  // Its report is the last line; parsed here, so a bad one fails the scenario, not the run.
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Report;
  } catch {
    throw new Error(`${name} ended without a report: "${line.slice(0, 200)}"`);
  }
}

/** The publish worker: the project's publisher at full speed, in a process of its own. */
export const runPublishWorker = (
  job: PublishJob,
  options: { timeoutMs: number; profileDir?: string },
): Promise<PublishReport> =>
  runWorker<PublishReport>('publish-worker', job, { ...options, profileName: 'publisher' });

/**
 * Starts a server worker of src/workers/ (it logs a `listening` JSON line with its url, as the
 * services do) from `env` only, under the bench's own Node flags; registered for the run's
 * cleanup, so an interrupted run stops it too.
 */
export async function startWorkerServer(
  context: BenchContext,
  name: string,
  env: Record<string, string>,
): Promise<ServiceProcess> {
  const server = await startServiceProcess({
    cwd: join(import.meta.dirname, '..', '..'),
    entry: workerFile(name),
    nodeArgs: [...process.execArgv],
    inheritEnv: false,
    env,
    startTimeoutMs: 30_000,
  });
  context.cleanup.workers.add(server);
  return server;
}

/** Stops a server worker and takes it off the cleanup list. */
export async function stopWorkerServer(
  context: BenchContext,
  server: ServiceProcess,
): Promise<void> {
  try {
    await server.stop({ timeoutMs: 5_000 });
  } finally {
    context.cleanup.workers.delete(server);
  }
}
