import { z } from 'zod';
import { connectionSecurityFields } from './connection-security.ts';

/** Building blocks shared by the services' schemas; each reads one environment variable. */

export const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a TCP port' })
    .int('must be a whole number')
    .min(0, 'must be 0-65535')
    .max(65_535, 'must be 0-65535')
    .default(fallback);

/**
 * METRICS_PORT must not be PORT: both servers listen on every interface, so the second would
 * fail with EADDRINUSE and no word of which variable to change. 0 (any free port) may repeat.
 */
export function refineMetricsPort(
  config: { PORT: number; METRICS_PORT: number },
  context: z.RefinementCtx,
): void {
  if (config.METRICS_PORT !== 0 && config.METRICS_PORT === config.PORT) {
    context.addIssue({
      code: 'custom',
      path: ['METRICS_PORT'],
      message: `must differ from PORT (both are ${config.PORT})`,
    });
  }
}

/** Replicas a write must reach (Redis WAIT) before the service counts it done. @defaultValue 0 */
export const redisWaitReplicas = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be >= 0')
  .max(5, 'must be <= 5 (ElastiCache has at most 5 replicas per shard)')
  .default(0);

export const positiveInt = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .positive('must be > 0')
    .default(fallback);

/** `true`/`false`/`1`/`0`/`yes`/`no`; unset means "the environment's default". */
export const flag = z.stringbool({ error: 'must be true or false' }).optional();

/** A comma-separated list (blanks trimmed, empties dropped), each item checked by `item`. */
export const commaList = (fallback: string, item: z.ZodString, emptyMessage: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, emptyMessage));

export const kafkaBrokers = commaList(
  '127.0.0.1:9092',
  z.string().regex(/^[^\s:]+:\d{1,5}$/, 'each broker must be host:port'),
  'needs at least one host:port',
);

export const redisUrl = z
  .string()
  .default('redis://127.0.0.1:6379')
  .refine(
    (value) => /^rediss?:\/\//.test(value) && URL.canParse(value),
    'must be a redis:// or rediss:// URL',
  );

export const logLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

export const nodeEnv = z.enum(['development', 'test', 'production']).default('development');

export const httpUrl = z
  .string()
  .refine(
    (value) => /^https?:\/\//.test(value) && URL.canParse(value),
    'must be an http:// or https:// URL',
  )
  .transform((value) => value.replace(/\/+$/, ''));

/**
 * The HS256 key of login tokens when TOKEN_SECRET is unset: one value for both services, so a
 * token signed by a local producer verifies on a local consumer. Refused in production.
 */
export const DEV_TOKEN_SECRET = 'dev-only-token-secret-change-me-in-production';

/** TOKEN_SECRET: the producer signs login tokens with it, the consumer verifies them. */
export const tokenSecret = z.string().min(32, 'must be at least 32 characters').optional();

/**
 * The Kafka client library behind the services' one connection (contract: "Kafka client").
 * kafkajs is the default the user chose; platformatic is @platformatic/kafka, the maintained
 * alternative, with the same behaviour and guarantees.
 */
export const kafkaClient = z
  .enum(['kafkajs', 'platformatic'], { error: 'must be kafkajs or platformatic' })
  .default('kafkajs');

/** What both services read. */
export const commonSchema = z.object({
  NODE_ENV: nodeEnv,
  LOG_LEVEL: logLevel,
  KAFKA_BROKERS: kafkaBrokers,
  KAFKA_CLIENT: kafkaClient,
  REDIS_URL: redisUrl,
  /**
   * Redis Cluster (ElastiCache cluster mode): REDIS_URL names one node or the configuration
   * endpoint and the client finds the rest. @defaultValue false
   */
  REDIS_CLUSTER: z.stringbool({ error: 'must be true or false' }).default(false),
  KAFKA_TOPIC_PARTITIONS: positiveInt(8),
  // TLS and SASL to Kafka, TLS to Redis: documented where they are checked together.
  ...connectionSecurityFields,
});
