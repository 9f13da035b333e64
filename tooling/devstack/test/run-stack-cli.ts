import { join } from 'node:path';
import { type CommandResult, runCommand } from '@kafka-ecs/testing';

const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');

/**
 * Runs the stack CLI (`stack <args>`) as a user would, with the environment given; resolves with
 * its exit code and output, or rejects (after killing it) when it has not finished in time.
 */
export function runStackCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CommandResult> {
  return runCommand(process.execPath, ['--conditions=kafka-ecs-source', cli, ...args], {
    env: { ...env, NODE_OPTIONS: '' },
    timeoutMs,
  });
}
