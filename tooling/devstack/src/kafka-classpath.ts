import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StackError } from './errors.ts';
import { majorVersion } from './kafka-version.ts';

const MAVEN_TIMEOUT_MS = 10 * 60_000;

/**
 * The Java classpath of the Kafka broker and tools, for `version` (the stack's: the POM's
 * `kafka.version` unless KAFKA_VERSION names another, see `kafkaVersion`). Maven resolves the
 * POM's artifacts into ~/.m2 once (the slow, cold step); the resulting classpath is cached next
 * to the stack's data, keyed by the POM's hash and the version, so later starts skip Maven
 * entirely.
 */
export async function kafkaClasspath(
  pom: string,
  cacheFile: string,
  version: string,
): Promise<string> {
  const pomHash = createHash('sha256').update(readFileSync(pom)).update(version).digest('hex');
  const cached = readCache(cacheFile, pomHash);
  if (cached) return cached;

  mkdirSync(dirname(cacheFile), { recursive: true });
  // Per process, and the cache is written by rename: concurrent cold starts (two test files, a
  // benchmark) never read one another's half-written file.
  const outputFile = `${cacheFile}.${process.pid}.tmp`;
  try {
    await runMaven([
      '-B',
      '-q',
      '-f',
      pom,
      'dependency:build-classpath',
      `-Dkafka.version=${version}`,
      // The profile that brings this major's slf4j binding (see the POM).
      `-Pkafka-${majorVersion(version)}`,
      `-Dmdep.outputFile=${outputFile}`,
    ]);
    const classpath = readFileSync(outputFile, 'utf8').trim();
    if (!classpath.includes(`kafka_2.13-${version}.jar`)) {
      throw new StackError(`Maven resolved no Kafka ${version} jars from ${pom}`);
    }
    writeFileSync(outputFile, `${pomHash}\n${classpath}\n`);
    renameSync(outputFile, cacheFile);
    return classpath;
  } finally {
    // Named by PID, a file left by a failed run would never be overwritten: one more per failure.
    rmSync(outputFile, { force: true });
  }
}

function readCache(cacheFile: string, pomHash: string): string | undefined {
  if (!existsSync(cacheFile)) return undefined;
  const [hash, classpath] = readFileSync(cacheFile, 'utf8').split('\n');
  if (hash !== pomHash || !classpath) return undefined;
  // A cleaned ~/.m2 invalidates the cache: every jar must still be there.
  return classpath.split(':').every((jar) => existsSync(jar)) ? classpath : undefined;
}

function runMaven(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn('mvn', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new StackError(
          `Maven did not finish fetching the Kafka jars within ${MAVEN_TIMEOUT_MS / 60_000} minutes: is Maven Central reachable (proxy settings in ~/.m2/settings.xml)?`,
        ),
      );
    }, MAVEN_TIMEOUT_MS);
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new StackError('Maven (mvn) is not installed: sudo apt-get install maven')
          : error,
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const unreachable =
        /Could not (transfer|resolve)|UnknownHost|Connection (refused|timed out)/i.test(output);
      reject(
        new StackError(
          unreachable
            ? `Maven could not download the Kafka jars: Maven Central is unreachable from here (check the network or ~/.m2/settings.xml). Maven said:\n${output.trim()}`
            : `Maven failed (exit ${code}) resolving the Kafka jars:\n${output.trim()}`,
        ),
      );
    });
  });
}
