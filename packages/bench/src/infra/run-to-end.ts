import { spawn } from 'node:child_process';

/**
 * Runs a command to its end and resolves with what it printed (the last 64 KB of each stream).
 * Rejected, with the end of its output, when it exits non-zero or is still running at
 * `timeoutMs` (then killed).
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; description: string },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-64_000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-64_000);
    });
    const fail = (what: string) =>
      reject(new Error(`${options.description} ${what}:\n${(stdout + stderr).slice(-4_000)}`));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`did not finish within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else fail(`exited with ${code}`);
    });
  });
}
