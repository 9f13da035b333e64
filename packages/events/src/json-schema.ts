import { z } from 'zod';
import { envelopeSchema } from './envelope.ts';
import { issuedTokenV1Data } from './issued-token.v1.ts';
import { newUserCreatedV1Data } from './new-user-created.v1.ts';

/**
 * The event schemas as JSON Schema (draft 2020-12), generated from the zod schemas the services
 * validate with, so docs/asyncapi.yaml can be checked against the code instead of drifting.
 */
export function eventJsonSchemas(): Record<
  'envelope' | 'new-user-created@1' | 'issued-token@1',
  Record<string, unknown>
> {
  const toJson = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >;
  return {
    envelope: toJson(envelopeSchema),
    'new-user-created@1': toJson(newUserCreatedV1Data),
    'issued-token@1': toJson(issuedTokenV1Data),
  };
}
