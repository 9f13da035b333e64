import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { classpathCacheFile, stackClasspath, stackSettings } from '../src/index.ts';

/**
 * Gives a fresh stack folder the Kafka classpath cache of the shared one, so a test that starts
 * a broker in it skips Maven (~4-10 s, much more on a loaded machine). Maven runs only if the
 * shared cache is missing. The cache is keyed by the POM's hash and the version, and names jars
 * by absolute path, so a copy is as valid as the original.
 */
export async function primeClasspath(dir: string): Promise<void> {
  await stackClasspath();
  const kafkaDir = join(dir, 'kafka');
  mkdirSync(kafkaDir, { recursive: true });
  const cache = classpathCacheFile(stackSettings());
  copyFileSync(cache, join(kafkaDir, basename(cache)));
}
