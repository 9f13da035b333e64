import { EVENT_TOPICS, FAILURE_PATH_STEPS, Topics } from '@kafka-ecs/events';
import { z } from 'zod';
import { connectionSecurity, refineConnectionSecurity } from './connection-security.ts';
import {
  commaList,
  commonSchema,
  DEV_TOKEN_SECRET,
  flag,
  httpUrl,
  port,
  positiveInt,
  redisWaitReplicas,
  refineMetricsPort,
  tokenSecret,
} from './fields.ts';
import { loadConfig } from './load-config.ts';

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

const topicName = z.string().regex(/^[a-zA-Z0-9._-]+$/, 'must be a Kafka topic name');

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** One named operator: `name` is what the logs and the audit say, never the token. */
export interface OperatorToken {
  name: string;
  token: string;
}

/** ADMIN_TOKEN's operator name. */
export const ADMIN_OPERATOR_NAME = 'admin';

/**
 * OPERATOR_TOKENS: `name=token,…`. Messages name an entry by its position only: a token written
 * where the name goes would otherwise be echoed into the task's log.
 */
const operatorTokens = z
  .string()
  .default('')
  .transform((value, context): OperatorToken[] => {
    const operators: OperatorToken[] = [];
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    for (const [index, entry] of entries.entries()) {
      const at = entry.indexOf('=');
      const name = at === -1 ? '' : entry.slice(0, at).trim();
      const token = at === -1 ? '' : entry.slice(at + 1).trim();
      const problem =
        at === -1
          ? `entry ${index + 1} must be name=token`
          : !/^[a-z0-9-]+$/.test(name)
            ? `entry ${index + 1}: the name must be [a-z0-9-]+`
            : name === ADMIN_OPERATOR_NAME
              ? `entry ${index + 1}: ${ADMIN_OPERATOR_NAME} is ADMIN_TOKEN's name`
              : token.length < 16
                ? `entry ${index + 1}: the token must be at least 16 characters`
                : operators.some((other) => other.name === name)
                  ? `entry ${index + 1}: the name is taken by an earlier entry`
                  : operators.some((other) => other.token === token)
                    ? `entry ${index + 1}: the token is an earlier entry's too`
                    : undefined;
      if (problem) {
        context.addIssue({ code: 'custom', message: problem });
        return z.NEVER;
      }
      operators.push({ name, token });
    }
    return operators;
  });

/** The consumer's environment (see shared/contract.md and docs/operations.md). */
export const consumerConfigSchema = commonSchema
  .extend({
    /** HTTP port. @defaultValue 9000 */
    PORT: port(9000),
    /**
     * Port of the metrics server (`GET /metrics`, Prometheus text); must differ from PORT. Not
     * behind the load balancer, which forwards PORT only. 0 = any free port (tests).
     * @defaultValue 9100
     */
    METRICS_PORT: port(9100),
    /** The consumer group that builds the view. @defaultValue consumer-svc */
    CONSUMER_GROUP_ID: z.string().min(1).default('consumer-svc'),
    /**
     * The topics the group reads. Override only to isolate a test or staging run.
     * @defaultValue new-user-created,issued-token
     */
    CONSUMER_TOPICS: commaList(EVENT_TOPICS.join(','), topicName, 'needs at least one topic'),
    /**
     * How long the broker waits for a silent member (a crashed task) before handing its
     * partitions to the others; within the broker's default bounds (group.min.session.timeout.ms,
     * group.max.session.timeout.ms), which refuse the group's join otherwise. @defaultValue 30000
     */
    CONSUMER_SESSION_TIMEOUT_MS: positiveInt(30_000).pipe(
      z
        .number()
        .min(6_000, "must be >= 6000 (the broker's group.min.session.timeout.ms)")
        .max(1_800_000, "must be <= 1800000 (the broker's group.max.session.timeout.ms)"),
    ),
    /**
     * Members of the view's consumer group each process runs, with KAFKA_CLIENT=kafkajs: one
     * member's fetch overlaps the other's writes (docs/performance.md). Each member counts
     * toward the group, so tasks × members beyond the partitions leaves members idle
     * (docs/operations.md). @platformatic/kafka runs one: any other number is refused with it.
     * @defaultValue 2 with kafkajs, 1 with platformatic
     */
    CONSUMER_GROUP_MEMBERS: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be >= 1')
      .max(16, 'must be <= 16')
      .optional(),
    /**
     * Prefix of every Redis key of the view, so several deployments can share one Redis.
     * @defaultValue consumer-view
     */
    VIEW_KEY_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9._:-]+$/, 'must be letters, digits, . _ : -')
      .default('consumer-view'),
    /**
     * Replicas of each Redis master that must hold a batch's view writes before its offsets are
     * committed (Redis WAIT, bounded at 1 s; short, the batch is held and retried). Redis
     * replicates asynchronously: where a replica takes over from a failed master (ElastiCache
     * Multi-AZ, a cluster), set it to 1, or a failover may lose the writes Kafka counts as done.
     * @defaultValue 0
     */
    REDIS_WAIT_REPLICAS: redisWaitReplicas,
    /**
     * A Slack-compatible incoming webhook told when records are dead-lettered. A secret (its
     * path is the credential): never quoted in errors, never logged. https:// in production.
     * @defaultValue none (no alerts)
     */
    ALERT_WEBHOOK_URL: httpUrl.optional(),
    /**
     * At most one alert per this many ms; what happens meanwhile is coalesced. At most a day:
     * Node runs a timer longer than 2^31-1 ms (24.8 days) after 1 ms. @defaultValue 60000
     */
    ALERT_MIN_INTERVAL_MS: positiveInt(60_000).pipe(
      z.number().max(86_400_000, 'must be <= 86400000 (a day)'),
    ),
    /** Bound on one /ping call to the producer. @defaultValue 2000 */
    PING_TIMEOUT_MS: positiveInt(2000).pipe(z.number().max(60_000, 'must be <= 60000')),
    /**
     * The producer's base URL (with its `/producer-svc` base path). When unset, derived from
     * Copilot's service discovery, else `http://127.0.0.1:{PRODUCER_SVC_PORT}/producer-svc`.
     * @defaultValue derived
     */
    PRODUCER_SVC_ENDPOINT: httpUrl.optional(),
    /**
     * Set by Copilot on ECS (e.g. `test.my-app.local`); services are reachable as
     * `<service>.<endpoint>`. @defaultValue none
     */
    COPILOT_SERVICE_DISCOVERY_ENDPOINT: z
      .string()
      .regex(/^[a-zA-Z0-9.-]+$/, 'must be a DNS name such as test.my-app.local')
      .optional(),
    /** The producer's Copilot service name, used for the derived endpoint. @defaultValue producer */
    PRODUCER_SVC_NAME: z
      .string()
      .regex(/^[a-z0-9-]+$/, 'must be a Copilot service name ([a-z0-9-])')
      .default('producer'),
    /** The producer's port, used for the derived endpoint. @defaultValue 9001 */
    PRODUCER_SVC_PORT: port(9001),
    /**
     * Bearer token for operator mutations; unset in production means they are refused.
     * @defaultValue none
     */
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * Dead-letter queries (payloads carry personal data) need the admin token too.
     * @defaultValue true when NODE_ENV=production, else false
     */
    DEAD_LETTER_READS_NEED_TOKEN: flag,
    /**
     * Named operators beside ADMIN_TOKEN: `name=token,…`, names `[a-z0-9-]+`, tokens at least
     * 16 characters, both unique. The name is the actor in logs and the audit. @defaultValue none
     */
    OPERATOR_TOKENS: operatorTokens,
    /**
     * The producer's TOKEN_SECRET: login tokens are verified with it. Required when
     * NODE_ENV=production; elsewhere the producer's development secret.
     * @defaultValue (development secret, refused in production)
     */
    TOKEN_SECRET: tokenSecret,
    /**
     * Serve the GraphQL IDE to browsers at GET /graphql.
     * @defaultValue true, except false when NODE_ENV=production
     */
    GRAPHQL_IDE: flag,
    /** Largest GraphQL-over-WebSocket message; a larger one closes the socket (1009). @defaultValue 65536 */
    WS_MAX_PAYLOAD_BYTES: positiveInt(65_536),
    /** Largest HTTP request body; a larger one is refused with 413. @defaultValue 65536 */
    HTTP_BODY_LIMIT_BYTES: positiveInt(65_536),
    /** Failed attempts (the first run included) before the dead-letter queue. @defaultValue 5 */
    RETRY_MAX_ATTEMPTS: positiveInt(5).pipe(z.number().max(100, 'must be <= 100')),
    /** Delay before the first retry, at most a week. @defaultValue 60000 */
    RETRY_BACKOFF_MS: positiveInt(60_000).pipe(
      z.number().max(WEEK_MS, `must be <= ${WEEK_MS} (a week)`),
    ),
    /** Delay of retry n = RETRY_BACKOFF_MS × FACTOR^(n-1), capped. @defaultValue 5 */
    RETRY_BACKOFF_FACTOR: z.coerce
      .number({ error: 'must be a number' })
      .min(1, 'must be >= 1')
      .max(100, 'must be <= 100')
      .default(5),
    /** Cap on one retry delay, at most a week. @defaultValue 3600000 */
    RETRY_BACKOFF_MAX_MS: positiveInt(3_600_000).pipe(
      z.number().max(WEEK_MS, `must be <= ${WEEK_MS} (a week)`),
    ),
    /** Retry jobs run at once by one instance. @defaultValue 16 */
    RETRY_CONCURRENCY: positiveInt(16),
    /**
     * How long a running retry job stays claimed: a job whose instance crashed is run again by
     * another after this. BullMQ also checks for such jobs this often. @defaultValue 30000
     */
    RETRY_JOB_LOCK_MS: positiveInt(30_000).pipe(
      z.number().max(600_000, 'must be <= 600000 (10 minutes)'),
    ),
    /** The retry side-topic; override only to isolate a test. @defaultValue side-topic-for-retry */
    RETRY_TOPIC: topicName.default(Topics.retry),
    /** The dead-letter topic; override only to isolate a test. @defaultValue dead-letter-queue */
    DEAD_LETTER_TOPIC: topicName.default(Topics.deadLetter),
    /**
     * What a failed startup check of the topics (missing, partition counts, retention shorter
     * than the retry schedule) does: log a warning, or refuse to start. @defaultValue warn
     */
    TOPIC_CHECK: z.enum(['warn', 'refuse'], { error: 'must be warn or refuse' }).default('warn'),
    /**
     * Test and staging only (ignored when NODE_ENV=production): the handler fails for users
     * whose username matches this regular expression. @defaultValue none
     */
    FAULT_INJECT_USERNAME_PATTERN: z
      .string()
      .refine(isRegExp, 'must be a valid regular expression')
      .optional(),
    /** With the pattern: `always`, or N = fail the first N attempts. @defaultValue always */
    FAULT_INJECT_FAILURES: z
      .union([z.literal('always'), z.coerce.number().int().positive()], {
        error: 'must be always or a whole number > 0',
      })
      .default('always'),
    /**
     * Test only (ignored when NODE_ENV=production): comma-separated steps of the failure path at
     * which the process kills itself with SIGKILL, to prove a crash there loses nothing.
     * @defaultValue none
     */
    FAULT_INJECT_CRASH_AT: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((step) => step.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.enum(FAILURE_PATH_STEPS, {
            error: `each step must be one of ${FAILURE_PATH_STEPS.join(', ')}`,
          }),
        ),
      ),
  })
  .refine((config) => config.RETRY_BACKOFF_MAX_MS >= config.RETRY_BACKOFF_MS, {
    path: ['RETRY_BACKOFF_MAX_MS'],
    message: 'must be >= RETRY_BACKOFF_MS',
  })
  .superRefine((config, context) => {
    const issue = (variable: string, message: string) =>
      context.addIssue({ code: 'custom', path: [variable], message });
    if (config.NODE_ENV === 'production') {
      // The development secret is in git: tokens signed with it could be forged by anyone.
      if (config.TOKEN_SECRET === undefined || config.TOKEN_SECRET === DEV_TOKEN_SECRET) {
        issue('TOKEN_SECRET', "is required when NODE_ENV=production (the producer's secret)");
      }
      if (config.ALERT_WEBHOOK_URL?.startsWith('http://')) {
        issue('ALERT_WEBHOOK_URL', 'must be an https:// URL when NODE_ENV=production');
      }
      if (config.DEAD_LETTER_READS_NEED_TOKEN === false) {
        issue('DEAD_LETTER_READS_NEED_TOKEN', 'cannot be false when NODE_ENV=production');
      }
    }
    // Said, not ignored: a task definition asking for more members than it gets would hide why
    // the tasks read slower than planned.
    const members = config.CONSUMER_GROUP_MEMBERS;
    if (config.KAFKA_CLIENT === 'platformatic' && members !== undefined && members !== 1) {
      issue(
        'CONSUMER_GROUP_MEMBERS',
        'must be 1 (or unset) with KAFKA_CLIENT=platformatic: its stream fetches ahead by itself and runs one member a process',
      );
    }
    if (config.ADMIN_TOKEN && config.OPERATOR_TOKENS.some((o) => o.token === config.ADMIN_TOKEN)) {
      issue('OPERATOR_TOKENS', 'a token equals ADMIN_TOKEN; each operator needs its own');
    }
  })
  .superRefine(refineMetricsPort)
  .superRefine(refineConnectionSecurity)
  .transform(({ COPILOT_SERVICE_DISCOVERY_ENDPOINT: discovery, ...config }) => ({
    ...config,
    ...connectionSecurity(config),
    COPILOT_SERVICE_DISCOVERY_ENDPOINT: discovery,
    DEAD_LETTER_READS_NEED_TOKEN:
      config.DEAD_LETTER_READS_NEED_TOKEN ?? config.NODE_ENV === 'production',
    TOKEN_SECRET: config.TOKEN_SECRET ?? DEV_TOKEN_SECRET,
    CONSUMER_GROUP_MEMBERS:
      config.CONSUMER_GROUP_MEMBERS ?? (config.KAFKA_CLIENT === 'platformatic' ? 1 : 2),
    GRAPHQL_IDE: config.GRAPHQL_IDE ?? config.NODE_ENV !== 'production',
    // Fault injection never reaches production, whatever the task definition says.
    FAULT_INJECT_USERNAME_PATTERN:
      config.NODE_ENV === 'production' ? undefined : config.FAULT_INJECT_USERNAME_PATTERN,
    FAULT_INJECT_CRASH_AT: config.NODE_ENV === 'production' ? [] : config.FAULT_INJECT_CRASH_AT,
    // An explicit endpoint wins; on ECS the producer is found through Copilot's private DNS.
    PRODUCER_SVC_ENDPOINT:
      config.PRODUCER_SVC_ENDPOINT ??
      `http://${discovery ? `${config.PRODUCER_SVC_NAME}.${discovery}` : '127.0.0.1'}:${config.PRODUCER_SVC_PORT}/producer-svc`,
  }));

export type ConsumerConfig = Readonly<z.output<typeof consumerConfigSchema>>;

export const loadConsumerConfig = (env: Record<string, string | undefined>): ConsumerConfig =>
  loadConfig(consumerConfigSchema, env);
