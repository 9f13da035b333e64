import type { z } from 'zod';
import { commonSchema, port } from './fields.ts';
import { loadConfig } from './load-config.ts';

/** The producer's environment (see shared/contract.md and docs/operations.md). */
export const producerConfigSchema = commonSchema.extend({
  /** HTTP port. @defaultValue 9001 */
  PORT: port(9001),
});

export type ProducerConfig = Readonly<z.output<typeof producerConfigSchema>>;

export const loadProducerConfig = (env: Record<string, string | undefined>): ProducerConfig =>
  loadConfig(producerConfigSchema, env);
