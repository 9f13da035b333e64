import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent } from '@kafka-ecs/events';

/** One record as the producer publishes it: key = user id, value = the JSON envelope. */
export interface FixtureRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

/**
 * A valid `new-user-created` event of about 300 bytes (the size the issue benchmarks with),
 * whose username starts with `usernamePrefix` so a run can find its own events. Each call
 * makes a new user and event id, so the consumer applies every one (none is a duplicate).
 */
export function userCreatedRecord(usernamePrefix: string, n: number): FixtureRecord {
  const id = randomUUID();
  const username = `${usernamePrefix}${n}`.slice(0, 64);
  const event = createEvent('new-user-created', {
    id,
    username,
    email: `${username}@bench.example.com`,
    firstName: 'Benchmark',
    lastName: 'User',
    createdAt: new Date().toISOString(),
  });
  return {
    key: id,
    value: encodeEvent(event),
    headers: { 'event-type': event.type, 'event-id': event.id },
  };
}

/** The createUser mutation as autocannon sends it (one unique username per request). */
export function createUserBody(username: string): string {
  return JSON.stringify({
    query:
      'mutation ($input: CreateUserInput!) { createUser(input: $input) { id username createdAt } }',
    variables: {
      input: {
        username,
        email: `${username}@bench.example.com`,
        password: 'benchmark-password',
        firstName: 'Bench',
        lastName: 'Mark',
      },
    },
  });
}

/** The user id in a createUser answer, or undefined for an error answer. */
export function createdUserId(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { data?: { createUser?: { id?: unknown } } };
    const id = parsed.data?.createUser?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
