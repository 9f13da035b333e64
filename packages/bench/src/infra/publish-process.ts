import { spawn } from 'node:child_process';
import { extname, join } from 'node:path';
import type { PublishJob, PublishReport } from '../workers/publish-worker.ts';

/** Runs the publish worker as a child process; killed and rejected past `timeoutMs`. */
export function runPublishWorker(
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
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, ...profile, worker, JSON.stringify(job)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8_000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`publish worker did not finish within ${options.timeoutMs} ms\n${stderr}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1);
      if (code !== 0 || !line) {
        reject(new Error(`publish worker exited with ${code}\n${stderr}`));
        return;
      }
      resolve(JSON.parse(line) as PublishReport);
    });
  });
}
