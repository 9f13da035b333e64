import { spawn } from 'node:child_process';

export interface CommandResult {
  /** The exit code, or null when a signal ended it. */
  code: number | null;
  /** What it printed (the last 64 KB of each stream). */
  stdout: string;
  stderr: string;
}

const KEPT_BYTES = 64_000;

/**
 * Runs a command to its end, as a user would from a shell, and resolves with its exit code and
 * output whatever the code (tests assert on failures too). Rejects, after SIGKILL, when it is
 * still running at `timeoutMs`, with the end of what it printed.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  options: {
    timeoutMs: number;
    /** @defaultValue process.env */
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** Names the command in errors. @defaultValue the command and its arguments */
    description?: string;
  },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout = (stdout + chunk.toString()).slice(-KEPT_BYTES);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-KEPT_BYTES);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      const what = options.description ?? `${command} ${args.join(' ')}`;
      reject(
        new Error(
          `${what} did not finish within ${options.timeoutMs} ms:\n${(stdout + stderr).slice(-4_000)}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
