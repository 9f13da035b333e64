import { z } from 'zod';
import type { EventDefinition } from './envelope.ts';
import { Topics } from './topics.ts';

/** A user was created by the producer. Never carries a password or its hash. */
export const newUserCreatedV1Data = z
  .object({
    id: z.string().min(1).max(128),
    username: z.string().regex(/^[a-z0-9._-]{3,64}$/),
    email: z.email().max(254),
    firstName: z.string().max(100).nullable(),
    lastName: z.string().max(100).nullable(),
    createdAt: z.iso.datetime(),
  })
  .strict();

export type NewUserCreatedV1Data = z.output<typeof newUserCreatedV1Data>;

export const NewUserCreatedV1: EventDefinition<'new-user-created', NewUserCreatedV1Data> = {
  type: 'new-user-created',
  version: 1,
  topic: Topics.newUserCreated,
  data: newUserCreatedV1Data,
};
