import { rmSync } from 'node:fs';
import type { ComponentState, StackSettings } from './stack.ts';
import {
  secureDir,
  secureEnvFile,
  secureStackDown,
  secureStackStatus,
  secureStackUp,
} from './stack-secure.ts';

// The CLI's `--secure` commands. `up` prints only the env file's path on stdout (never a
// password), so `set -a; source "$(pnpm -s stack:up --secure)"; set +a` works too.

export async function secureCommand(
  command: string,
  flags: string[],
  settings: StackSettings,
  log: (line: string) => void,
): Promise<number> {
  switch (command) {
    case 'up': {
      const started = Date.now();
      const stack = await secureStackUp({ settings, log });
      log(`secure stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(stack.envFile);
      return 0;
    }
    case 'down':
      await secureDown(settings, flags, log);
      return 0;
    case 'status':
      printSecureStatus(settings);
      return 0;
    default:
      return 2;
  }
}

/** Stops the secure stack; with `--clean`, deletes its folder and env file. */
export async function secureDown(
  settings: StackSettings,
  flags: string[],
  log: (line: string) => void,
): Promise<void> {
  const stopped = await secureStackDown({ settings });
  log(
    `secure kafka: ${stopped.kafka ? 'stopped' : 'was not running'}; secure redis: ${stopped.redis ? 'stopped' : 'was not running'}`,
  );
  if (flags.includes('--clean')) {
    rmSync(secureDir(settings), { recursive: true, force: true });
    rmSync(secureEnvFile(settings), { force: true });
    log(`removed ${secureDir(settings)} and ${secureEnvFile(settings)}`);
  }
}

export function printSecureStatus(settings: StackSettings): void {
  const status = secureStackStatus({ settings });
  const describe = (state: ComponentState) =>
    state.state === 'running' ? `running (pid ${state.pid})` : 'stopped';
  console.log(`secure kafka  ${status.kafkaBrokers.padEnd(17)} ${describe(status.kafka)}`);
  console.log(`secure redis  ${status.redisAddress.padEnd(17)} ${describe(status.redis)}`);
}
