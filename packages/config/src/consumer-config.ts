import { EVENT_TOPICS } from '@kafka-ecs/events';
import { z } from 'zod';
import { commaList, commonSchema, httpUrl, port, positiveInt } from './fields.ts';
import { loadConfig } from './load-config.ts';

/** The consumer's environment (see shared/contract.md and docs/operations.md). */
export const consumerConfigSchema = commonSchema
  .extend({
    /** HTTP port. @defaultValue 9000 */
    PORT: port(9000),
    /** The consumer group that builds the view. @defaultValue consumer-svc */
    CONSUMER_GROUP_ID: z.string().min(1).default('consumer-svc'),
    /**
     * The topics the group reads. Override only to isolate a test or staging run.
     * @defaultValue new-user-created,issued-token
     */
    CONSUMER_TOPICS: commaList(
      EVENT_TOPICS.join(','),
      z.string().regex(/^[a-zA-Z0-9._-]+$/, 'each topic must be a Kafka topic name'),
      'needs at least one topic',
    ),
    /**
     * How long the broker waits for a silent member (a crashed task) before handing its
     * partitions to the others. @defaultValue 30000
     */
    CONSUMER_SESSION_TIMEOUT_MS: positiveInt(30_000),
    /**
     * Prefix of every Redis key of the view, so several deployments can share one Redis.
     * @defaultValue consumer-view
     */
    VIEW_KEY_PREFIX: z
      .string()
      .regex(/^[a-zA-Z0-9._:-]+$/, 'must be letters, digits, . _ : -')
      .default('consumer-view'),
    /** Bound on one /ping call to the producer. @defaultValue 2000 */
    PING_TIMEOUT_MS: positiveInt(2000),
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
  })
  .transform(({ COPILOT_SERVICE_DISCOVERY_ENDPOINT: discovery, ...config }) => ({
    ...config,
    COPILOT_SERVICE_DISCOVERY_ENDPOINT: discovery,
    // An explicit endpoint wins; on ECS the producer is found through Copilot's private DNS.
    PRODUCER_SVC_ENDPOINT:
      config.PRODUCER_SVC_ENDPOINT ??
      `http://${discovery ? `${config.PRODUCER_SVC_NAME}.${discovery}` : '127.0.0.1'}:${config.PRODUCER_SVC_PORT}/producer-svc`,
  }));

export type ConsumerConfig = Readonly<z.output<typeof consumerConfigSchema>>;

export const loadConsumerConfig = (env: Record<string, string | undefined>): ConsumerConfig =>
  loadConfig(consumerConfigSchema, env);
