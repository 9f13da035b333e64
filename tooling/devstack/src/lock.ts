import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.ts';
import { isAlive } from './processes.ts';

/**
 * Runs `task` while holding a lock on the stack folder, so two commands (say, the jest global
 * setups of two packages) never start two brokers at once. mkdir is atomic; a lock whose holder
 * has died is taken over.
 */
export async function withStackLock<T>(
  dir: string,
  timeoutMs: number,
  task: () => Promise<T>,
): Promise<T> {
  const lockDir = join(dir, 'lock');
  const owner = join(lockDir, 'pid');
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (holderIsGone(lockDir, owner)) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new StackError(
          `another stack command holds ${lockDir} for over ${timeoutMs / 1000} s`,
        );
      }
      await sleep(200);
    }
  }
  try {
    return await task();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function holderIsGone(lockDir: string, owner: string): boolean {
  try {
    const pid = Number.parseInt(readFileSync(owner, 'utf8'), 10);
    return !Number.isInteger(pid) || !isAlive(pid);
  } catch {
    // No PID yet: the holder is between mkdir and writing it, unless that was long ago.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 5_000;
    } catch {
      return true;
    }
  }
}
