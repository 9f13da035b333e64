import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Topics } from '@kafka-ecs/events';
import {
  brokerAnswers,
  createKafkaAdmin,
  freePort,
  type KafkaToolOptions,
  runCommand,
  type TestInfrastructure,
  testInfrastructure,
} from '@kafka-ecs/testing';
import { Redis, type RedisOptions } from 'ioredis';
import { isAlive, secureStackDown, secureStackStatus, stackSettings } from '../src/index.ts';

import { isListening } from '../src/processes.ts';
import { primeClasspath } from './prime-classpath.ts';
import { runStackCli } from './run-stack-cli.ts';

const VARIABLES = [
  'KAFKA_BROKERS',
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'REDIS_URL',
  'REDIS_TLS_CA_FILE',
];

/** What a shell holds after `set -a; source <file>`: the file read as a user would. */
async function sourced(file: string): Promise<Record<string, string>> {
  const shell = await runCommand('bash', ['-c', 'set -a; source "$1"; exec env', '_', file], {
    env: { PATH: process.env.PATH },
    timeoutMs: 10_000,
  });
  expect(shell.code).toBe(0);
  return Object.fromEntries(
    shell.stdout
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
      .filter(([name]) => name !== undefined && VARIABLES.includes(name)),
  );
}

/**
 * PING through a one-shot Redis client that fails at once instead of reconnecting; `auth` is
 * sent as a command of its own, so its refusal is the answer (ioredis would close on it).
 */
async function redisPing(
  url: string,
  options: RedisOptions = {},
  auth?: [string, string],
): Promise<string> {
  const client = new Redis(url, {
    ...options,
    lazyConnect: true,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // Otherwise its INFO before PING meets the refusal, and the PING only sees the close.
    enableReadyCheck: false,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    if (auth) await client.auth(...auth);
    return await client.ping();
  } finally {
    client.disconnect();
  }
}

const listTopics = (options: KafkaToolOptions) => {
  const admin = createKafkaAdmin({ connectionTimeoutMs: 5_000, retries: 0, ...options });
  return admin.listTopics().finally(() => admin.close());
};

describe('the secure stack (stack up --secure)', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let secure: Record<string, string>;
  let infrastructure: TestInfrastructure;
  let ports: { kafka: number; redis: number };
  let up: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'secure-stack-'));
    // The broker's jars without a Maven run for this fresh folder (a cold one covers the bound).
    await primeClasspath(dir);
    ports = { kafka: await freePort(), redis: await freePort() };
    env = {
      ...process.env,
      STACK_DIR: dir,
      KAFKA_SECURE_PORT: String(ports.kafka),
      KAFKA_SECURE_CONTROLLER_PORT: String(await freePort()),
      REDIS_SECURE_PORT: String(ports.redis),
    };
    // Certificates, two JVMs (storage format, broker) and Redis: 10-15 s quietly, up to ~45 s
    // with the CPU taken by other test runs.
    up = await runStackCli(['up', '--secure'], env, 150_000);
    expect({ code: up.code, stderr: up.code === 0 ? '' : up.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    secure = await sourced(join(dir, 'secure.env'));
    infrastructure = testInfrastructure(secure);
  }, 240_000);

  afterAll(async () => {
    // Only with this test's folder in `env`: without it, the settings would name the real stack.
    if (env) await secureStackDown({ settings: stackSettings(env) });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('when it is up, then it prints only the env file, which (0600) names the contract variables', () => {
    const envFile = join(dir, 'secure.env');
    expect(up.stdout.trim()).toBe(envFile);
    expect(Object.keys(secure).sort()).toEqual([...VARIABLES].sort());
    const { KAFKA_SASL_PASSWORD: password = '', REDIS_URL: redisUrl = '' } = secure;
    expect(password).toMatch(/^[0-9a-f]{48}$/);
    for (const secret of [password, new URL(redisUrl).password]) {
      expect(`${up.stdout}${up.stderr}`).not.toContain(secret);
    }
    expect(secure).toMatchObject({
      KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: join(dir, 'secure', 'tls', 'ca.pem'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      REDIS_TLS_CA_FILE: join(dir, 'secure', 'tls', 'ca.pem'),
    });
    expect(redisUrl).toMatch(
      new RegExp(`^rediss://[\\w-]+:[0-9a-f]{48}@127\\.0\\.0\\.1:${ports.redis}$`),
    );
    const secrets = ['credentials.json', 'kafka/server.properties', 'tls/server.key', 'tls/ca.key'];
    for (const file of [envFile, ...secrets.map((name) => join(dir, 'secure', name))]) {
      expect((statSync(file).mode & 0o777).toString(8)).toBe('600');
    }
  });

  it('when a client has the credentials, then it lists the contract topics', async () => {
    const { kafkaBrokers: brokers, kafkaSecurity } = infrastructure;
    expect(await listTopics({ ...kafkaSecurity, brokers })).toEqual(
      expect.arrayContaining(Object.values(Topics)),
    );
    expect(await brokerAnswers(brokers, 5_000, kafkaSecurity)).toBe(true);
  });

  it('when a PLAINTEXT client connects to the SASL_SSL port, then it is refused', async () => {
    const { kafkaBrokers: brokers } = infrastructure;
    expect(await isListening('127.0.0.1', ports.kafka)).toBe(true);
    // The broker reads the plaintext request as a TLS handshake, fails it, and closes.
    await expect(listTopics({ brokers })).rejects.toThrow(/Closed connection/);
    expect(await brokerAnswers(brokers, 3_000)).toBe(false);
  });

  it('when the SCRAM password is wrong, then authentication fails', async () => {
    const { kafkaBrokers: brokers, kafkaSecurity } = infrastructure;
    const sasl = { mechanism: 'scram-sha-512' as const, username: 'kafka-ecs', password: 'wrong' };
    await expect(listTopics({ brokers, ssl: kafkaSecurity.ssl, sasl })).rejects.toMatchObject({
      name: 'KafkaJSSASLAuthenticationError',
      message: expect.stringMatching(/SASL SCRAM SHA512 authentication failed/),
    });
  });

  it('when a Redis client speaks plaintext, or TLS without the password, then it is refused; with it, then it is served', async () => {
    const url = new URL(infrastructure.redisUrl);
    const tls = infrastructure.redisTls;
    expect(tls?.ca).toContain('BEGIN CERTIFICATE');
    // It listens, and drops a client that does not open with a TLS handshake.
    expect(await isListening(url.hostname, Number(url.port))).toBe(true);
    await expect(redisPing(`redis://${url.host}`)).rejects.toThrow(/Connection is closed/);
    await expect(redisPing(`rediss://${url.host}`, { tls })).rejects.toThrow(/NOAUTH/);
    await expect(
      redisPing(`rediss://${url.host}`, { tls }, [url.username, 'wrong']),
    ).rejects.toThrow(/WRONGPASS/);
    expect(await redisPing(infrastructure.redisUrl, { tls })).toBe('PONG');
  });

  it('when it is up again, then it reuses what runs; status shows it, and stack down stops it', async () => {
    const before = secureStackStatus({ settings: stackSettings(env) });
    const ca = readFileSync(join(dir, 'secure', 'tls', 'ca.pem'), 'utf8');
    const again = await runStackCli(['up', '--secure'], env, 60_000);
    expect(again.code).toBe(0);
    // The same CA and passwords: a client that saved them keeps working.
    expect(readFileSync(join(dir, 'secure', 'tls', 'ca.pem'), 'utf8')).toBe(ca);
    expect(await sourced(join(dir, 'secure.env'))).toEqual(secure);
    expect(secureStackStatus({ settings: stackSettings(env) })).toEqual(before);

    const status = await runStackCli(['status'], env, 30_000);
    expect(status.stdout).toMatch(
      new RegExp(`secure kafka +127\\.0\\.0\\.1:${ports.kafka} +running`),
    );
    expect(status.stdout).toMatch(
      new RegExp(`secure redis +127\\.0\\.0\\.1:${ports.redis} +running`),
    );

    const pids = [before.kafka, before.redis].flatMap((state) =>
      state.state === 'running' ? [state.pid] : [],
    );
    expect(pids).toHaveLength(2);
    // The plain `down`: this folder has no plain stack, so only the secure one is there to stop.
    const down = await runStackCli(['down'], env, 60_000);
    expect(down.code).toBe(0);
    expect(pids.filter((pid) => isAlive(pid))).toEqual([]);
  }, 120_000);
});
