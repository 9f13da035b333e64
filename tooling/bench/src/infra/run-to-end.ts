import { runCommand } from '@kafka-ecs/testing';

/**
 * Runs a command to its end and resolves with what it printed (the last 64 KB of each stream).
 * Rejected, with the end of its output, when it exits non-zero or is still running at
 * `timeoutMs` (then killed).
 */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: { timeoutMs: number; description: string; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runCommand(command, args, options);
  if (code !== 0) {
    throw new Error(
      `${options.description} exited with ${code}:\n${(stdout + stderr).slice(-4_000)}`,
    );
  }
  return { stdout, stderr };
}
