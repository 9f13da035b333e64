import { extname, join } from 'node:path';
import type { PublishJob, PublishReport } from '../workers/publish-worker.ts';
import { runToEnd } from './run-to-end.ts';

/** Runs the publish worker as a child process; killed and rejected past `timeoutMs`. */
export async function runPublishWorker(
  job: PublishJob,
  options: { timeoutMs: number; profileDir?: string },
): Promise<PublishReport> {
  // Next to this module: workers/publish-worker.ts from the sources, .js once built.
  const worker = join(
    import.meta.dirname,
    '..',
    'workers',
    `publish-worker${extname(import.meta.filename)}`,
  );
  const profile = options.profileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${join(options.profileDir, 'publisher')}`]
    : [];
  const { stdout } = await runToEnd(
    process.execPath,
    [...process.execArgv, ...profile, worker, JSON.stringify(job)],
    { timeoutMs: options.timeoutMs, description: 'publish worker' },
  );
  // Its report is the last line; parsed here, so a bad one fails the scenario, not the run.
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as PublishReport;
  } catch {
    throw new Error(`publish worker ended without a report: "${line.slice(0, 200)}"`);
  }
}
