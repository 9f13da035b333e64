import { readFileSync } from 'node:fs';
import { StackError } from './errors.ts';
import { kafkaPom } from './paths.ts';

const VERSION = /^\d+\.\d+\.\d+$/;

/**
 * The Kafka version the stack runs: `KAFKA_VERSION` when set (to prove another version before
 * it becomes the default), else the POM's `kafka.version`, so the POM stays the one setting.
 */
export function kafkaVersion(
  env: NodeJS.ProcessEnv = process.env,
  pom: string = kafkaPom(),
): string {
  const override = env.KAFKA_VERSION;
  if (override !== undefined && override !== '') {
    if (!VERSION.test(override)) {
      throw new StackError(`KAFKA_VERSION must be a release such as 4.1.1, got "${override}"`);
    }
    return override;
  }
  const declared = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'))?.[1];
  if (declared === undefined || !VERSION.test(declared)) {
    throw new StackError(`${pom} declares no kafka.version property`);
  }
  return declared;
}

export function majorVersion(version: string): number {
  return Number(version.split('.')[0]);
}

/**
 * The major version of the broker jar on a classpath. The log configuration follows the jars a
 * JVM actually runs (log4j 1 before Kafka 4, log4j2 from 4), whoever resolved them.
 */
export function classpathMajorVersion(classpath: string): number {
  const match = /kafka_2\.13-(\d+)\.\d+\.\d+\.jar/.exec(classpath);
  if (!match) throw new StackError('the Kafka classpath holds no kafka_2.13 jar');
  return Number(match[1]);
}
