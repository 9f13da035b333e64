import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '@kafka-ecs/testing';
import { StackError, secureStackUp, stackSettings, stackUp } from '../src/index.ts';
import { isAlive } from '../src/processes.ts';
import { primeClasspath } from './prime-classpath.ts';
import { runStackCli } from './run-stack-cli.ts';

/**
 * A PATH with only Node on it, a fresh stack folder and free Kafka ports; the run's Kafka
 * version is kept, so the classpath primed for it is the one the command finds.
 */
async function withoutJavaOrMaven(dir: string): Promise<NodeJS.ProcessEnv> {
  const { KAFKA_VERSION } = process.env;
  return {
    ...(KAFKA_VERSION === undefined ? {} : { KAFKA_VERSION }),
    PATH: dirname(process.execPath),
    STACK_DIR: dir,
    KAFKA_PORT: String(await freePort()),
    KAFKA_CONTROLLER_PORT: String(await freePort()),
  };
}

describe('stack up, when something is wrong', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stack-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when the Kafka port is taken by something that is not Kafka, then it fails naming the port', async () => {
    const server: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const takenPort = (server.address() as { port: number }).port;
    try {
      const settings = {
        ...stackSettings(),
        dir,
        kafkaPort: takenPort,
        kafkaControllerPort: await freePort(),
      };
      await expect(stackUp({ settings, log: () => {} })).rejects.toThrow(
        new StackError(
          `port ${takenPort} is taken by a process that is not this stack's Kafka: stop it, or set KAFKA_PORT / KAFKA_CONTROLLER_PORT to free ports`,
        ),
      );
    } finally {
      server.close();
    }
  });

  it('when the secure Redis port is taken, then it fails naming the port and its variable, and starts nothing', async () => {
    const server: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const takenPort = (server.address() as { port: number }).port;
    try {
      const settings = {
        ...stackSettings(),
        dir,
        redisSecurePort: takenPort,
        kafkaSecurePort: await freePort(),
        kafkaSecureControllerPort: await freePort(),
      };
      await expect(secureStackUp({ settings, log: () => {} })).rejects.toThrow(
        new StackError(
          `port ${takenPort} is taken (the secure stack starts its own processes there): stop what listens on it, or set REDIS_SECURE_PORT to a free port`,
        ),
      );
      expect(existsSync(join(dir, 'secure', 'redis', 'redis.pid'))).toBe(false);
      expect(existsSync(join(dir, 'secure.env'))).toBe(false);
    } finally {
      server.close();
    }
  });

  it('when Maven is missing, then the command exits 1 with one line saying how to install it', async () => {
    const { code, stderr } = await runStackCli(['up'], await withoutJavaOrMaven(dir), 60_000);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      '[stack] error: Maven (mvn) is not installed: sudo apt-get install maven',
    );
  });

  it('when Java is missing, then the command exits 1 with one line saying how to install it', async () => {
    // The classpath resolved beforehand, so Java is the next need. Priming runs Maven only if
    // the shared cache is missing (~10 s quietly, more under load): hence this test's bound.
    await primeClasspath(dir);
    const { code, stderr } = await runStackCli(['up'], await withoutJavaOrMaven(dir), 60_000);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n').at(-1)).toMatch(
      /^\[stack\] error: Java is not installed .*apt-get install/,
    );
  }, 90_000);

  it('when the broker does not become ready in time, then it fails with its log and leaves no process behind', async () => {
    // Without it, Maven would run for this fresh folder before the two JVMs (java -version,
    // kafka-storage format), all under jest's default 30 s: too tight on a loaded machine.
    // The bound below covers a cold Maven run of the priming.
    await primeClasspath(dir);
    const settings = {
      ...stackSettings(),
      dir,
      kafkaPort: await freePort(),
      kafkaControllerPort: await freePort(),
    };
    await expect(stackUp({ settings, log: () => {}, readyTimeoutMs: 300 })).rejects.toThrow(
      /the Kafka broker did not become ready within 0.3 s/,
    );
    const pidFile = join(dir, 'kafka', 'kafka.pid');
    expect(existsSync(pidFile)).toBe(true);
    expect(isAlive(Number(readFileSync(pidFile, 'utf8')))).toBe(false);
    expect(readdirSync(join(dir, 'kafka'))).toContain('kafka.log');
  }, 90_000);
});
