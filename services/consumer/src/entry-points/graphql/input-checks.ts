import { DEAD_LETTER_REASONS, type DeadLetterReason } from '@kafka-ecs/events';
import type { DeadLetterFilter } from '@kafka-ecs/retry';
import { GraphQLError } from 'graphql';

// The GraphQL schemas' input checks, one copy for users, the dead-letter listing and the
// operations.

/** An input the caller must fix: BAD_USER_INPUT naming the argument. */
export const badInput = (message: string, argumentName: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argumentName } });

export const MAX_PAGE_SIZE = 100;

/** A connection's `first`: 20 when absent, else 1 to 100. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? 20;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return size;
}

export interface FilterInput {
  topic?: string | null;
  reason?: string | null;
  errorContains?: string | null;
  key?: string | null;
  since?: string | null;
  until?: string | null;
}

const MAX_TEXT = 1_000;

/**
 * The GraphQL filter as the store's, or BAD_USER_INPUT naming the field (`prefix` says where it
 * sits: `filter.` in an input object, nothing for `deadLetters`' own arguments).
 */
export function toDeadLetterFilter(input: FilterInput, prefix = 'filter.'): DeadLetterFilter {
  const text = (value: string | null | undefined, name: string): string | undefined => {
    if (value == null) return undefined;
    if (value.length > MAX_TEXT) {
      throw badInput(`${prefix}${name} must be at most ${MAX_TEXT} characters`, name);
    }
    return value;
  };
  const instant = (value: string | null | undefined, name: string): Date | undefined => {
    if (value == null) return undefined;
    const time = Date.parse(value);
    if (Number.isNaN(time)) throw badInput(`${prefix}${name} must be an ISO 8601 date-time`, name);
    return new Date(time);
  };
  if (input.reason != null && !DEAD_LETTER_REASONS.includes(input.reason as DeadLetterReason)) {
    throw badInput(`${prefix}reason must be one of ${DEAD_LETTER_REASONS.join(', ')}`, 'reason');
  }
  const filter: DeadLetterFilter = {
    topic: text(input.topic, 'topic'),
    reason: (input.reason as DeadLetterReason | null) ?? undefined,
    errorContains: text(input.errorContains, 'errorContains'),
    key: text(input.key, 'key'),
    since: instant(input.since, 'since'),
    until: instant(input.until, 'until'),
  };
  // Absent fields out, so the audit's copy of the filter says only what was asked.
  return Object.fromEntries(
    Object.entries(filter).filter(([, value]) => value !== undefined),
  ) as DeadLetterFilter;
}
