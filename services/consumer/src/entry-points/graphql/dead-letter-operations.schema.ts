import { DEAD_LETTER_REASONS, type DeadLetterReason } from '@kafka-ecs/events';
import {
  AUDIT_MAX_ENTRIES,
  BULK_REPLAY_BOUNDS,
  type DeadLetterFilter,
  type DeadLetterOperations,
  InvalidBulkReplayError,
  InvalidCursorError,
  InvalidOperatorInputError,
  MAX_DISCARD_REASON_LENGTH,
} from '@kafka-ecs/retry';
import { GraphQLError } from 'graphql';
import { actorOf, type GraphqlContext, type OperatorAction } from './operator-auth.ts';

const { defaultLimit, maxLimit, defaultRate, maxRate, maxSeconds } = BULK_REPLAY_BOUNDS;

export const deadLetterOperationsTypeDefs = /* GraphQL */ `
  "Which dead letters a bulk operation takes; every field narrows, none means all."
  input DeadLetterFilter {
    "Original topic."
    topic: String
    "exhausted or non-retryable."
    reason: String
    "Case-insensitive text in the error name or message."
    errorContains: String
    "The record key, exactly, as UTF-8."
    key: String
    "ISO 8601: dead-lettered at or after."
    since: String
    "ISO 8601: dead-lettered at or before."
    until: String
  }

  type BulkReplayResult {
    dryRun: Boolean!
    "Dead letters matching the filter, the limit aside."
    matched: Int!
    replayed: Int!
    "Failed again: still listed."
    failed: Int!
    "Replayed, discarded or being replayed elsewhere meanwhile: nothing done."
    skipped: Int!
    "The dead letters taken, newest first (at most limit): replayed, or would be."
    ids: [ID!]!
  }

  "One operator action on dead letters."
  type DeadLetterAuditEntry {
    "Also the cursor of this entry."
    id: ID!
    "ISO 8601, UTC."
    at: String!
    "The operator named by the token (admin, or an OPERATOR_TOKENS name); anonymous when operations are open."
    actor: String!
    "replay, bulk-replay or discard."
    action: String!
    deadLetterIds: [ID!]!
    dryRun: Boolean!
    outcome: String!
    "A discard's reason."
    reason: String
    "A bulk replay's filter, as JSON."
    filter: String
  }

  type DeadLetterAuditConnection {
    "Entries kept: the newest ${AUDIT_MAX_ENTRIES}, older ones are dropped."
    totalCount: Int!
    nodes: [DeadLetterAuditEntry!]!
    pageInfo: PageInfo!
  }

  extend type Query {
    "Operator actions on dead letters, newest first. \`first\`: 1-100."
    deadLetterAudit(first: Int = 20, after: String): DeadLetterAuditConnection!
  }

  extend type Mutation {
    """
    Replays the dead letters matching \`filter\`, newest first, one at a time at \`ratePerSecond\`
    (default ${defaultRate}, 1-${maxRate}), at most \`limit\` (default ${defaultLimit}, 1-${maxLimit}); a run must fit
    in ${maxSeconds} s (ids ÷ rate). A dry run (the default) replays nothing and says what it would.
    Audited either way.
    """
    replayDeadLetters(
      filter: DeadLetterFilter!
      dryRun: Boolean! = true
      limit: Int
      ratePerSecond: Int
    ): BulkReplayResult!
    """
    Takes the dead letter off the list without running it (it stays on the topic and in the
    audit). false: nothing done (already replayed or discarded, or being replayed right now).
    """
    discardDeadLetter(id: ID!, reason: String!): Boolean!
  }
`;

export interface DeadLetterOperationsDeps {
  operations: DeadLetterOperations;
  authorize: (
    context: GraphqlContext,
    action: OperatorAction,
    operation: string,
    details?: Record<string, unknown>,
  ) => void;
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
const MAX_PAGE_SIZE = 100;
const badInput = (message: string, argumentName: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argumentName } });

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

/** The package's input errors as BAD_USER_INPUT; anything else is masked as usual. */
async function asInputErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      error instanceof InvalidBulkReplayError ||
      error instanceof InvalidOperatorInputError ||
      error instanceof InvalidCursorError
    ) {
      throw badInput(error.message, 'input');
    }
    throw error;
  }
}

export function deadLetterOperationsResolvers(deps: DeadLetterOperationsDeps) {
  return {
    Query: {
      deadLetterAudit: async (
        _parent: unknown,
        args: { first?: number | null; after?: string | null },
        context: GraphqlContext,
      ) => {
        deps.authorize(context, 'read', 'deadLetterAudit');
        const first = args.first ?? 20;
        if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
          throw badInput(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
        }
        const page = await asInputErrors(() => deps.operations.audit({ first, after: args.after }));
        return {
          totalCount: page.totalCount,
          nodes: page.nodes,
          pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
        };
      },
    },
    Mutation: {
      replayDeadLetters: async (
        _parent: unknown,
        args: {
          filter: FilterInput;
          dryRun: boolean;
          limit?: number | null;
          ratePerSecond?: number | null;
        },
        context: GraphqlContext,
      ) => {
        deps.authorize(context, 'write', 'replayDeadLetters', { dryRun: args.dryRun });
        const filter = toDeadLetterFilter(args.filter);
        return asInputErrors(() =>
          deps.operations.replayMany(actorOf(context.caller), filter, {
            dryRun: args.dryRun,
            limit: args.limit ?? undefined,
            ratePerSecond: args.ratePerSecond ?? undefined,
          }),
        );
      },
      discardDeadLetter: async (
        _parent: unknown,
        args: { id: string; reason: string },
        context: GraphqlContext,
      ) => {
        deps.authorize(context, 'write', 'discardDeadLetter', { id: args.id });
        if (args.reason.length > MAX_DISCARD_REASON_LENGTH) {
          throw badInput(
            `reason must be at most ${MAX_DISCARD_REASON_LENGTH} characters`,
            'reason',
          );
        }
        const result = await asInputErrors(() =>
          deps.operations.discard(actorOf(context.caller), args.id, args.reason),
        );
        if (result.outcome === 'not-found') {
          throw new GraphQLError(`no dead letter with id ${args.id}`, {
            extensions: { code: 'NOT_FOUND' },
          });
        }
        return result.outcome === 'discarded';
      },
    },
  };
}
