import { z } from 'zod';
import type { EventDefinition } from './envelope.ts';
import { Topics } from './topics.ts';

/** A login issued a token. Carries the token's id and lifetime, never the token itself. */
export const issuedTokenV1Data = z
  .object({
    userId: z.string().min(1).max(128),
    tokenId: z.string().min(1).max(128),
    issuedAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .strict();

export type IssuedTokenV1Data = z.output<typeof issuedTokenV1Data>;

export const IssuedTokenV1: EventDefinition<'issued-token', IssuedTokenV1Data> = {
  type: 'issued-token',
  version: 1,
  topic: Topics.issuedToken,
  data: issuedTokenV1Data,
};
