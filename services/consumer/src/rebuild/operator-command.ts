// What the operator commands (rebuild, recover-failures) share: their exits, their bounds.
import { ConfigError } from '@kafka-ecs/config';
import { createRedisConnection, type RedisConnectionSettings } from '@kafka-ecs/service-kit';

/** Bad arguments: the command prints the message and its usage, and exits 2. */
export class UsageError extends Error {}

/** The options every operator command takes, beside its own. */
export const COMMON_OPTIONS = {
  'timeout-minutes': { type: 'string', default: '60' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** `--timeout-minutes N` in milliseconds; a UsageError for anything but a positive number. */
export function timeoutMsOf(minutes: string): number {
  const value = Number(minutes);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError('--timeout-minutes must be a positive number');
  }
  return value * 60_000;
}

/** An operator command's Redis client: it ends with an error, not a hang, if Redis stops answering. */
export const commandRedis = (connection: RedisConnectionSettings) =>
  createRedisConnection(connection, { maxRetriesPerRequest: 3, commandTimeout: 10_000 });

/** `report` at most every 2 s, and always once nothing remains. */
export function everyTwoSeconds<Progress extends { remaining: number }>(
  report: (progress: Progress) => void,
): (progress: Progress) => void {
  let last = 0;
  return (progress) => {
    if (Date.now() - last < 2_000 && progress.remaining > 0) return;
    last = Date.now();
    report(progress);
  };
}

/**
 * Runs `main` and exits with its code: 2 with the usage on a UsageError, 1 with the message on
 * any other failure (a configuration refused says what is wrong; nothing else is printed whole).
 */
export function runOperatorCommand(name: string, usage: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      // parseArgs' own refusals (an unknown option, a value missing) are usage errors too.
      const code = (error as { code?: unknown } | null)?.code;
      if (
        error instanceof UsageError ||
        (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
      ) {
        console.error(`${(error as Error).message}\n\n${usage}`);
        process.exit(2);
      }
      console.error(
        error instanceof ConfigError ? error.message : `${name} failed: ${String(error)}`,
      );
      process.exit(1);
    },
  );
}
