import { stackClasspath } from '@kafka-ecs/devstack';
import { runToEnd } from './run-to-end.ts';

/**
 * Runs one of Kafka's Java tools from the classpath the devstack resolved (kafka-tools is in the
 * same POM), and returns what it printed (stdout, then stderr). Killed and rejected past
 * `timeoutMs`.
 */
export async function runKafkaTool(
  mainClass: string,
  args: string[],
  options: { timeoutMs: number },
): Promise<string> {
  const classpath = await stackClasspath();
  const { stdout, stderr } = await runToEnd('java', ['-cp', classpath, mainClass, ...args], {
    timeoutMs: options.timeoutMs,
    description: mainClass,
  });
  return stdout + stderr;
}
