import { z } from 'zod';

/**
 * The envelope every event travels in (shared/contract.md). `type` and `version` select the
 * schema of `data`; `id` is what consumers deduplicate on.
 */
export const envelopeSchema = z
  .object({
    id: z.uuid(),
    type: z.string().min(1),
    version: z.number().int().positive(),
    occurredAt: z.iso.datetime(),
    data: z.unknown(),
  })
  .strict();

export type Envelope = z.output<typeof envelopeSchema>;

/** One event type at one version: its name, topic and the schema of its `data`. */
export interface EventDefinition<Type extends string, Data> {
  type: Type;
  version: number;
  topic: string;
  data: z.ZodType<Data>;
}

export type EventOf<Type extends string, Data> = {
  id: string;
  type: Type;
  version: number;
  occurredAt: string;
  data: Data;
};
