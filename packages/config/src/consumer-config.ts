import { z } from 'zod';
import { commonSchema, port, positiveInt } from './fields.ts';
import { loadConfig } from './load-config.ts';

/** The consumer's environment (see shared/contract.md and docs/operations.md). */
export const consumerConfigSchema = commonSchema.extend({
  /** HTTP port. @defaultValue 9000 */
  PORT: port(9000),
  /** @defaultValue consumer-svc */
  CONSUMER_GROUP_ID: z.string().min(1).default('consumer-svc'),
  /** Bound on one /ping call to the producer. @defaultValue 2000 */
  PING_TIMEOUT_MS: positiveInt(2000),
});

export type ConsumerConfig = Readonly<z.output<typeof consumerConfigSchema>>;

export const loadConsumerConfig = (env: Record<string, string | undefined>): ConsumerConfig =>
  loadConfig(consumerConfigSchema, env);
