import { spawn } from 'node:child_process';
import { openSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.ts';

/** True when a process with this PID runs (a zombie, exited but not yet reaped, does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Field 3 of /proc/<pid>/stat is the state; the command name before it is in parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The PID recorded in `pidFile`, if that process still runs in `dir` or a folder below it (its
 * working folder: spawnDetached starts it in `dir`, redis-server moves to its data folder). The
 * check keeps a recycled PID from being mistaken for ours, so `stack:down` never signals a
 * stranger. (Not the command line: redis-server rewrites it.) Below it, not merely a path with
 * the same start: `.stack/redis-cluster/7101` is not inside `.stack/redis`.
 */
export function ownedPid(pidFile: string, dir: string): number | undefined {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return cwd === dir || cwd.startsWith(`${dir}${sep}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a long-running process detached from ours, its output appended to `logFile`. */
export function spawnDetached(
  command: string,
  args: string[],
  options: { logFile: string; pidFile: string; cwd: string; env?: NodeJS.ProcessEnv },
): number {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  child.unref();
  writeFileSync(options.pidFile, String(child.pid));
  return child.pid;
}

/**
 * Sends `signal` (SIGTERM by default), then SIGKILL if the process has not exited within
 * `graceMs`; throws if it outlives SIGKILL by 5 s.
 */
export async function stopProcess(
  pid: number,
  graceMs: number,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (isAlive(pid)) {
      if (Date.now() > killDeadline) {
        throw new StackError(
          `process ${pid} survived SIGKILL for 5 s (stuck in uninterruptible I/O?)`,
        );
      }
      await sleep(50);
    }
  }
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/** True when something accepts TCP connections on host:port. */
export function isListening(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
