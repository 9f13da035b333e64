import { spawn } from 'node:child_process';
import { stackClasspath } from '@kafka-ecs/devstack';

/**
 * Runs one of Kafka's Java tools from the classpath the devstack resolved (kafka-tools is in the
 * same POM), and returns what it printed. Killed and rejected past `timeoutMs`.
 */
export async function runKafkaTool(
  mainClass: string,
  args: string[],
  options: { timeoutMs: number },
): Promise<string> {
  const classpath = await stackClasspath();
  return new Promise((resolve, reject) => {
    const child = spawn('java', ['-cp', classpath, mainClass, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-64_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${mainClass} did not finish within ${options.timeoutMs} ms:\n${output}`));
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${mainClass} exited with ${code}:\n${output.slice(-4_000)}`));
    });
  });
}
