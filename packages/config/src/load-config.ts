import { KafkaEcsError } from '@kafka-ecs/errors';
import type { z } from 'zod';

/** Invalid configuration: the message is the one line the operator needs, naming the variable. */
export class ConfigError extends KafkaEcsError {}

/**
 * The variables whose value an error may quote: settings that are never secret. An allow-list, so
 * a variable added later (a webhook URL with a token in its path, a new credential) is named but
 * never quoted until someone decides it may be. URLs here are quoted without their credentials.
 */
export const quotableVariables: ReadonlySet<string> = new Set([
  'ALERT_MIN_INTERVAL_MS',
  'ARGON2_MEMORY_KIB',
  'ARGON2_PASSES',
  'AWS_REGION',
  'CONSUMER_GROUP_ID',
  'CONSUMER_GROUP_MEMBERS',
  'CONSUMER_SESSION_TIMEOUT_MS',
  'CONSUMER_TOPICS',
  'COPILOT_SERVICE_DISCOVERY_ENDPOINT',
  'DEAD_LETTER_READS_NEED_TOKEN',
  'DEAD_LETTER_TOPIC',
  'FAULT_INJECT_CRASH_AT',
  'FAULT_INJECT_FAILURES',
  'FAULT_INJECT_USERNAME_PATTERN',
  'GRAPHQL_IDE',
  'GRAPHQL_INTROSPECTION',
  'GRAPHQL_MAX_DEPTH',
  'GRAPHQL_MAX_TOKENS',
  'HTTP_BODY_LIMIT_BYTES',
  'KAFKA_BROKERS',
  'KAFKA_CLIENT',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_TOPIC_PARTITIONS',
  'LOG_LEVEL',
  'LOGIN_FAILURE_WINDOW_SECONDS',
  'LOGIN_MAX_FAILURES',
  'METRICS_PORT',
  'NODE_ENV',
  'PASSWORD_HASH',
  'PASSWORD_HASH_MAX_WAIT_MS',
  'PING_TIMEOUT_MS',
  'PORT',
  'PRODUCER_SVC_ENDPOINT',
  'PRODUCER_SVC_NAME',
  'PRODUCER_SVC_PORT',
  'PUBLISH_LINGER_MS',
  'PUBLISH_MAX_BATCH',
  'PUBLISH_TIMEOUT_MS',
  'REDIS_CLUSTER',
  'REDIS_KEY_PREFIX',
  'REDIS_TLS_CA_FILE',
  'REDIS_URL',
  'REDIS_WAIT_REPLICAS',
  'RETRY_BACKOFF_FACTOR',
  'RETRY_BACKOFF_MAX_MS',
  'RETRY_BACKOFF_MS',
  'RETRY_CONCURRENCY',
  'RETRY_JOB_LOCK_MS',
  'RETRY_MAX_ATTEMPTS',
  'RETRY_TOPIC',
  'SCRYPT_COST',
  'TOKEN_TTL_SECONDS',
  'TOPIC_CHECK',
  'USERNAME_RESERVATION_TTL_MS',
  'UV_THREADPOOL_SIZE',
  'VIEW_KEY_PREFIX',
  'WS_MAX_PAYLOAD_BYTES',
]);

/** What the error may quote of a value: nothing of an unlisted variable, a URL without credentials. */
function shownValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined || !quotableVariables.has(name)) return undefined;
  // Credentials before an `@` (a URL's `user:password@`, parsed or not): everything up to the
  // last `@` after the scheme is hidden, whatever characters the password holds.
  const shown = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)?.*@/is, '$1***@');
  // A URL's query may carry them too (ioredis reads `?password=`), so it is hidden whole; only a
  // URL's, so that a regular expression's `(?<name>…)` is still quoted for what is wrong with it.
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(shown) ? shown.replace(/[?#].*$/s, '?***') : shown;
}

/**
 * Validates `env` against `schema` and returns a frozen, typed configuration. Every problem is
 * reported at once, each as `VARIABLE: what is wrong`, so a misconfigured task fails at start
 * with one clear line instead of failing later at first use.
 */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  env: Record<string, string | undefined>,
): Readonly<z.output<Schema>> {
  // Empty strings mean "unset": that is how ECS task definitions and shells leave a variable blank.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const name = issue.path[0];
      const raw = typeof name === 'string' ? shownValue(name, cleaned[name]) : undefined;
      return `${variable}: ${issue.message}${raw === undefined ? '' : ` (got "${raw}")`}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(result.data);
}
