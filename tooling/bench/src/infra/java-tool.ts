import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackClasspath } from '@kafka-ecs/devstack';
import type { KafkaSecurity } from '@kafka-ecs/testing';
import { javaClientProperties } from '../kafka-tools.ts';
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

/**
 * Writes the Java tools' client settings for a secured broker into a folder of its own that only
 * this user can read (they hold the SCRAM password), and returns the folder and the file; the
 * caller removes the folder at the end of the run. Undefined for a plain broker.
 */
export function writeJavaClientConfig(
  security: KafkaSecurity,
): { dir: string; file: string } | undefined {
  const properties = javaClientProperties(security);
  if (properties === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'bench-kafka-client-'));
  const file = join(dir, 'client.properties');
  writeFileSync(file, properties, { mode: 0o600 });
  return { dir, file };
}
