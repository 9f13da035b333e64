import { z } from 'zod';
import { connectionSecurity, refineConnectionSecurity } from './connection-security.ts';
import {
  commonSchema,
  DEV_TOKEN_SECRET,
  flag,
  port,
  positiveInt,
  redisWaitReplicas,
  refineMetricsPort,
} from './fields.ts';
import { loadConfig } from './load-config.ts';

/** The producer's environment (see shared/contract.md and docs/operations.md). */
export const producerConfigSchema = commonSchema
  .extend({
    /** HTTP port. @defaultValue 9001 */
    PORT: port(9001),
    /**
     * Port of the metrics server (`GET /metrics`, Prometheus text); must differ from PORT. Not
     * behind the load balancer, which forwards PORT only. 0 = any free port (tests).
     * @defaultValue 9101
     */
    METRICS_PORT: port(9101),
    /**
     * HS256 key the login tokens are signed with, at least 32 characters. Required when
     * NODE_ENV=production; elsewhere a fixed development secret is used.
     * @defaultValue (development secret, refused in production)
     */
    TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Lifetime of a login token in seconds. @defaultValue 3600 */
    TOKEN_TTL_SECONDS: positiveInt(3600),
    /**
     * Serve the GraphQL IDE to browsers at GET /producer-svc/graphql.
     * @defaultValue true, except false when NODE_ENV=production
     */
    GRAPHQL_IDE: flag,
    /** Answer introspection queries. @defaultValue true, except false when NODE_ENV=production */
    GRAPHQL_INTROSPECTION: flag,
    /** Deepest selection a GraphQL operation may nest. @defaultValue 8 */
    GRAPHQL_MAX_DEPTH: positiveInt(8),
    /** Most lexical tokens in one GraphQL document (bounds parsing work). @defaultValue 1000 */
    GRAPHQL_MAX_TOKENS: positiveInt(1000),
    /** Largest HTTP request body in bytes. @defaultValue 65536 */
    HTTP_BODY_LIMIT_BYTES: positiveInt(65_536),
    /**
     * Bound on a publish waiting for its turn (behind another send), and then on Kafka
     * acknowledging it once sent; past either the mutation answers SERVICE_UNAVAILABLE, so it
     * waits at most twice this. At least 3000: the Kafka client's connect and three attempts must
     * give up within it, or an event could be written after its caller was told it failed. At
     * most 30000: twice that is the load balancer's default idle timeout. @defaultValue 5000
     */
    PUBLISH_TIMEOUT_MS: positiveInt(5_000).pipe(
      z
        .number()
        .min(3_000, 'must be >= 3000 (the Kafka client gives up within 3 s at least)')
        .max(30_000, "must be <= 30000 (twice this is the load balancer's 60 s idle timeout)"),
    ),
    /**
     * Extra wait to fill a publish batch; 0 = the next event-loop turn. At most 1000: it is part
     * of every mutation's answer time and of its PUBLISH_TIMEOUT_MS. @defaultValue 0
     */
    PUBLISH_LINGER_MS: z.coerce
      .number()
      .int()
      .min(0, 'must be >= 0')
      .max(1_000, 'must be <= 1000')
      .default(0),
    /** Most events in one Kafka send. @defaultValue 500 */
    PUBLISH_MAX_BATCH: positiveInt(500),
    /**
     * How long a username stays reserved while its user's event is being published. At least
     * 2 × PUBLISH_TIMEOUT_MS + 20000: the reservation must outlive the publish (its wait for its
     * turn and its send) and then the commit's retries (5 attempts of the 2 s Redis bound and 3 s
     * of pauses: 13 s), or another request could take a published user's name before its
     * commit, which goes on in the background past them and then finds the name taken.
     * @defaultValue 60000
     */
    USERNAME_RESERVATION_TTL_MS: positiveInt(60_000),
    /**
     * Replicas of the user's Redis master that must hold a username's reservation before its
     * event is published, and the user's commit before createUser answers (Redis WAIT, 1 s at
     * most; short, createUser fails SERVICE_UNAVAILABLE before the publish, and the commit is
     * retried after it). Redis replicates asynchronously: where a replica takes over from a
     * failed master (ElastiCache Multi-AZ, a cluster), set it to 1, or a failover may lose a
     * user whose event is out. @defaultValue 0
     */
    REDIS_WAIT_REPLICAS: redisWaitReplicas,
    /**
     * Prefix of every Redis key the producer writes. No `{` or `}`: on a cluster a brace there
     * would be every key's hash tag instead of the username. @defaultValue producer:
     */
    REDIS_KEY_PREFIX: z
      .string()
      .min(1)
      .refine((prefix) => !/[{}]/.test(prefix), 'must not contain { or }')
      .default('producer:'),
    /**
     * Algorithm of new password hashes: `argon2id` or `scrypt`. Stored hashes of either verify
     * (each carries its parameters); a successful login replaces one that is not the current
     * setting's. Unset with SCRYPT_COST set means `scrypt`, so a setup that chose a scrypt cost
     * (the tests', the bench's) keeps it.
     * @defaultValue argon2id, or scrypt when SCRYPT_COST is set
     */
    PASSWORD_HASH: z
      .enum(['argon2id', 'scrypt'], { error: 'must be argon2id or scrypt' })
      .optional(),
    /**
     * argon2id memory per hash in KiB (parallelism 1). OWASP's minimum is 19456 with 2 passes,
     * or 47104 with 1. @defaultValue 19456
     */
    ARGON2_MEMORY_KIB: positiveInt(19_456).pipe(
      z.number().min(8, 'must be >= 8').max(1_048_576, 'must be <= 1048576 (1 GiB)'),
    ),
    /** argon2id passes over its memory. @defaultValue 2 */
    ARGON2_PASSES: positiveInt(2).pipe(z.number().max(16, 'must be <= 16')),
    /**
     * scrypt cost N (a power of two) when PASSWORD_HASH=scrypt; memory per hash is
     * 128 × N × 8 bytes (128 MiB at 2^17, OWASP's minimum). @defaultValue 131072
     */
    SCRYPT_COST: z.coerce
      .number({ error: 'must be a number' })
      .int('must be a whole number')
      .refine(
        (value) => (value & (value - 1)) === 0 && value >= 1024 && value <= 1_048_576,
        'must be a power of two >= 1024 and <= 1048576',
      )
      .optional(),
    /**
     * The longest a password hash (createUser, login) may wait for its turn; one that would wait
     * longer is refused with SERVICE_UNAVAILABLE and `retryAfterSeconds`. @defaultValue 2000
     */
    PASSWORD_HASH_MAX_WAIT_MS: positiveInt(2_000).pipe(z.number().max(60_000, 'must be <= 60000')),
    /**
     * libuv's thread pool, read by Node itself (at most 1024): as many password hashes run at
     * once, each on a thread of it. @defaultValue 4
     */
    UV_THREADPOOL_SIZE: positiveInt(4).pipe(z.number().max(1024, 'must be <= 1024')),
    /**
     * Failed logins for one username within LOGIN_FAILURE_WINDOW_SECONDS after which its
     * logins answer TOO_MANY_REQUESTS until the window ends. @defaultValue 5
     */
    LOGIN_MAX_FAILURES: positiveInt(5).pipe(z.number().max(1000, 'must be <= 1000')),
    /**
     * The window of LOGIN_MAX_FAILURES, from a username's first failed login. @defaultValue 900
     */
    LOGIN_FAILURE_WINDOW_SECONDS: positiveInt(900).pipe(
      z.number().max(86_400, 'must be <= 86400 (a day)'),
    ),
  })
  .superRefine((config, context) => {
    // The development secret is in git: tokens signed with it could be forged by anyone.
    if (
      config.NODE_ENV === 'production' &&
      (config.TOKEN_SECRET === undefined || config.TOKEN_SECRET === DEV_TOKEN_SECRET)
    ) {
      context.addIssue({
        code: 'custom',
        path: ['TOKEN_SECRET'],
        message: 'is required when NODE_ENV=production',
      });
    }
    // The figures are the producer's (user-commits.ts, redis-client.ts, service-kit's
    // REPLICA_WAIT_MS): the commit's 5 attempts of the 2 s Redis bound and its 3 s of pauses, 13 s,
    // and a margin; with replicas to wait for, the reserve's WAIT and each attempt's add up to
    // WAIT's 1 s bound. The producer's reservation-ttl.test.ts computes the worst case from its
    // own constants and fails when this rule would accept a reservation shorter than it.
    const commitRetriesAndMarginMs = 20_000;
    const replicaWaitsMs = config.REDIS_WAIT_REPLICAS > 0 ? 6_000 : 0;
    const minimumTtlMs = 2 * config.PUBLISH_TIMEOUT_MS + commitRetriesAndMarginMs + replicaWaitsMs;
    if (config.USERNAME_RESERVATION_TTL_MS < minimumTtlMs) {
      context.addIssue({
        code: 'custom',
        path: ['USERNAME_RESERVATION_TTL_MS'],
        message:
          'must be at least 2 × PUBLISH_TIMEOUT_MS + 20000, and 6000 more with REDIS_WAIT_REPLICAS (the publish, then the commit)',
      });
    }
  })
  .superRefine(refineMetricsPort)
  .superRefine(refineConnectionSecurity)
  .transform((config) => {
    const production = config.NODE_ENV === 'production';
    return {
      ...config,
      ...connectionSecurity(config),
      TOKEN_SECRET: config.TOKEN_SECRET ?? DEV_TOKEN_SECRET,
      GRAPHQL_IDE: config.GRAPHQL_IDE ?? !production,
      GRAPHQL_INTROSPECTION: config.GRAPHQL_INTROSPECTION ?? !production,
      PASSWORD_HASH:
        config.PASSWORD_HASH ?? (config.SCRYPT_COST === undefined ? 'argon2id' : 'scrypt'),
      SCRYPT_COST: config.SCRYPT_COST ?? 131_072,
    };
  });

export type ProducerConfig = Readonly<z.output<typeof producerConfigSchema>>;

export const loadProducerConfig = (env: Record<string, string | undefined>): ProducerConfig =>
  loadConfig(producerConfigSchema, env);
