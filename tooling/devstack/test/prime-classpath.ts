import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stackClasspath, stackSettings } from '../src/index.ts';

/**
 * Gives a fresh stack folder the Kafka classpath cache of the shared one, so a test that starts
 * a broker in it skips Maven (~4-10 s, much more on a loaded machine). Maven runs only if the
 * shared cache is missing. The cache is keyed by the POM's hash and names jars by absolute path,
 * so a copy is as valid as the original.
 */
export async function primeClasspath(dir: string): Promise<void> {
  await stackClasspath();
  const kafkaDir = join(dir, 'kafka');
  mkdirSync(kafkaDir, { recursive: true });
  copyFileSync(
    join(stackSettings().dir, 'kafka', 'classpath.txt'),
    join(kafkaDir, 'classpath.txt'),
  );
}
