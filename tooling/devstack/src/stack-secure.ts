import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { brokerAnswers } from '@kafka-ecs/testing';
import { StackError } from './errors.ts';
import { runningBrokerPid, startKafkaBroker, stopKafkaBroker } from './kafka-broker.ts';
import { withStackLock } from './lock.ts';
import { isListening } from './processes.ts';
import { runningRedisPid, startRedisServer, stopRedisServer } from './redis-server.ts';
import { ensureCredentials, writeSecret } from './secure-credentials.ts';
import { secureEnv } from './secure-env.ts';
import { kafkaListenerSecurity } from './secure-kafka.ts';
import { ensureCertificates } from './secure-tls.ts';
import { type ComponentState, type StackSettings, stackClasspath, stackSettings } from './stack.ts';
import { ensureTopics } from './topics.ts';

const HOST = '127.0.0.1';

/** Where `stack up --secure` keeps its broker, Redis, certificates and credentials. */
export const secureDir = (settings: StackSettings) => join(settings.dir, 'secure');
/** The variables that reach it (passwords included, so 0600), for `source`. */
export const secureEnvFile = (settings: StackSettings) => join(settings.dir, 'secure.env');

export interface SecureStackInfo {
  envFile: string;
  kafkaBrokers: string;
  /** Redis's address, without the credentials (those are in `envFile`). */
  redisAddress: string;
  kafka: ComponentState;
  redis: ComponentState;
  started: { kafka: boolean; redis: boolean };
  createdTopics: string[];
}

/**
 * `stack up --secure`: beside the plain stack (which it neither needs nor touches), a broker
 * whose only client listener is SASL_SSL with SCRAM-SHA-512 and a Redis that speaks only TLS and
 * needs a password, with a CA, certificates and passwords made at the first start and reused.
 * Idempotent; what a failed call started is stopped again. Nothing else may hold its ports: a
 * stranger there could not be told apart from it, and would not know its passwords.
 */
export async function secureStackUp(
  options: { settings?: StackSettings; log?: (line: string) => void; readyTimeoutMs?: number } = {},
): Promise<SecureStackInfo> {
  const settings = options.settings ?? stackSettings();
  const log = options.log ?? ((line: string) => console.error(line));
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const dir = secureDir(settings);
  const kafkaDir = join(dir, 'kafka');
  const redisDir = join(dir, 'redis');
  const kafkaBrokers = `${HOST}:${settings.kafkaSecurePort}`;
  const redisAddress = `${HOST}:${settings.redisSecurePort}`;

  return withStackLock(dir, readyTimeoutMs + 10 * 60_000, async () => {
    const certificates = ensureCertificates(join(dir, 'tls'));
    const { credentials, created } = ensureCredentials(join(dir, 'credentials.json'));
    if (created && existsSync(join(kafkaDir, 'data'))) {
      // Its SCRAM users were stored with passwords that are gone: start it from scratch.
      log('new credentials: the secure broker starts again with fresh storage');
      await stopKafkaBroker(kafkaDir);
      await stopRedisServer(redisDir);
      rmSync(join(kafkaDir, 'data'), { recursive: true, force: true });
    }
    const security = kafkaListenerSecurity(certificates, credentials);
    const started = { kafka: false, redis: false };
    try {
      const redis = await ensureRedis();
      const kafka = await ensureKafka();
      const createdTopics = await ensureTopics([kafkaBrokers], undefined, 1, security.client);
      if (createdTopics.length > 0) log(`created topics: ${createdTopics.join(', ')}`);
      const envFile = secureEnvFile(settings);
      writeSecret(envFile, secureEnv({ kafkaBrokers, redisAddress, certificates, credentials }));
      return { envFile, kafkaBrokers, redisAddress, kafka, redis, started, createdTopics };
    } catch (error) {
      if (started.kafka) await stopKafkaBroker(kafkaDir);
      if (started.redis) await stopRedisServer(redisDir);
      throw error;
    }

    async function ensureRedis(): Promise<ComponentState> {
      const pid = runningRedisPid(redisDir);
      if (pid !== undefined) return { state: 'running', pid };
      await assertFree(settings.redisSecurePort, 'REDIS_SECURE_PORT');
      log(`starting a TLS-only redis-server on ${redisAddress}`);
      const newPid = await startRedisServer({
        dir: redisDir,
        host: HOST,
        port: settings.redisSecurePort,
        readyTimeoutMs: 15_000,
        tls: certificates,
        user: credentials.redis,
      });
      started.redis = true;
      return { state: 'running', pid: newPid };
    }

    async function ensureKafka(): Promise<ComponentState> {
      const pid = runningBrokerPid(kafkaDir);
      if (pid !== undefined) {
        if (!(await brokerAnswers([kafkaBrokers], 10_000, security.client))) {
          throw new StackError(
            `the secure Kafka broker (pid ${pid}) runs but does not answer; try pnpm stack:down --secure && pnpm stack:up --secure`,
          );
        }
        return { state: 'running', pid };
      }
      await assertFree(settings.kafkaSecurePort, 'KAFKA_SECURE_PORT');
      await assertFree(settings.kafkaSecureControllerPort, 'KAFKA_SECURE_CONTROLLER_PORT');
      const classpath = await stackClasspath(settings);
      log(`starting the SASL_SSL Kafka broker (KRaft) on ${kafkaBrokers}`);
      const newPid = await startKafkaBroker({
        dir: kafkaDir,
        classpath,
        host: HOST,
        port: settings.kafkaSecurePort,
        controllerPort: settings.kafkaSecureControllerPort,
        readyTimeoutMs,
        security,
      });
      started.kafka = true;
      return { state: 'running', pid: newPid };
    }
  });
}

/** Stops the secure stack's broker and Redis (by their PID files); what each was doing. */
export function secureStackDown(
  options: { settings?: StackSettings } = {},
): Promise<{ kafka: boolean; redis: boolean }> {
  const settings = options.settings ?? stackSettings();
  const dir = secureDir(settings);
  if (!existsSync(dir)) return Promise.resolve({ kafka: false, redis: false });
  return withStackLock(dir, 60_000, async () => ({
    kafka: await stopKafkaBroker(join(dir, 'kafka')),
    redis: await stopRedisServer(join(dir, 'redis')),
  }));
}

/** Which of the secure stack's processes run (only ours count: see secureStackUp). */
export function secureStackStatus(options: { settings?: StackSettings } = {}): {
  kafkaBrokers: string;
  redisAddress: string;
  kafka: ComponentState;
  redis: ComponentState;
} {
  const settings = options.settings ?? stackSettings();
  const dir = secureDir(settings);
  const state = (pid: number | undefined): ComponentState =>
    pid === undefined ? { state: 'stopped' } : { state: 'running', pid };
  return {
    kafkaBrokers: `${HOST}:${settings.kafkaSecurePort}`,
    redisAddress: `${HOST}:${settings.redisSecurePort}`,
    kafka: state(runningBrokerPid(join(dir, 'kafka'))),
    redis: state(runningRedisPid(join(dir, 'redis'))),
  };
}

async function assertFree(port: number, variable: string): Promise<void> {
  if (await isListening(HOST, port)) {
    throw new StackError(
      `port ${port} is taken (the secure stack starts its own processes there): stop what listens on it, or set ${variable} to a free port`,
    );
  }
}
