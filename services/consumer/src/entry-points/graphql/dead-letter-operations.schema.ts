import {
  AUDIT_MAX_ENTRIES,
  BULK_REPLAY_BOUNDS,
  BulkReplayInterruptedError,
  type DeadLetterOperations,
  InvalidBulkReplayError,
  InvalidCursorError,
  InvalidOperatorInputError,
  ServiceStoppingError,
} from '@kafka-ecs/retry';
import { GraphQLError } from 'graphql';
import { badInput, type FilterInput, pageSize, toDeadLetterFilter } from './input-checks.ts';
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
  /** Replays, bulk replays, discards and their audit, each as the caller's actor. */
  operations: DeadLetterOperations;
  /** Throws unless the caller may; logs the actor of what it allows. */
  authorize: (
    context: GraphqlContext,
    action: OperatorAction,
    operation: string,
    details?: Record<string, unknown>,
  ) => void;
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
    if (error instanceof BulkReplayInterruptedError) throw interrupted(error);
    throw error;
  }
}

/**
 * A bulk replay cut short (the service stopping, or a replay Redis refused) answers how far it
 * got, as the audit does: masked as an internal error, the operator could not tell a run that
 * replayed nothing from one that replayed half. The cause's own text stays in the log and audit.
 */
function interrupted(error: BulkReplayInterruptedError): GraphQLError {
  const { matched, replayed, failed, skipped, ids } = error.result;
  const why =
    error.cause instanceof ServiceStoppingError
      ? 'the service is stopping'
      : 'a replay could not be completed';
  const done = replayed + failed + skipped;
  return new GraphQLError(
    `bulk replay stopped after ${done} of ${ids.length} (${why}): replayed ${replayed}, ` +
      `failed ${failed}, skipped ${skipped}; the rest are still dead letters, run it again`,
    { extensions: { code: 'SERVICE_UNAVAILABLE', matched, replayed, failed, skipped } },
  );
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
        const first = pageSize(args.first);
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
