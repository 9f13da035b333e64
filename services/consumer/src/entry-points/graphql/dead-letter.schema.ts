import {
  type DeadLetter,
  type DeadLetterStore,
  InvalidCursorError,
  type RetryStats,
} from '@kafka-ecs/retry';
import { GraphQLError } from 'graphql';
import {
  type DeadLetterOperationsDeps,
  deadLetterOperationsResolvers,
  deadLetterOperationsTypeDefs,
} from './dead-letter-operations.schema.ts';
import { badInput, type FilterInput, pageSize, toDeadLetterFilter } from './input-checks.ts';
import { actorOf, type GraphqlContext } from './operator-auth.ts';

const deadLetterReadTypeDefs = /* GraphQL */ `
  type Header {
    name: String!
    value: String!
  }

  type DeadLetterHistoryEntry {
    "ISO 8601, UTC."
    at: String!
    "dead-lettered, replay-failed, replayed or discarded."
    action: String!
    attempt: Int!
    reason: String
    errorName: String
    errorMessage: String
    "Who replayed or discarded it."
    actor: String
    "Why it was discarded."
    note: String
  }

  "A record that ended in the dead-letter queue, as the operators' index knows it."
  type DeadLetter {
    "<original topic>:<partition>:<offset>"
    id: ID!
    topic: String!
    partition: Int!
    offset: String!
    "The record key as UTF-8 (null when absent or not text)."
    key: String
    "Failed attempts, replays included."
    attempts: Int!
    "exhausted or non-retryable."
    reason: String!
    errorName: String!
    errorMessage: String!
    firstFailedAt: String!
    "When it was dead-lettered."
    failedAt: String!
    consumerGroup: String!
    "dead, replayed or discarded (the last two are no longer listed)."
    status: String!
    "The value as UTF-8 text (null when absent or not text; see payloadBase64)."
    payload: String
    payloadBase64: String
    "The original record's headers."
    headers: [Header!]!
    history: [DeadLetterHistoryEntry!]!
  }

  type DeadLetterConnection {
    totalCount: Int!
    nodes: [DeadLetter!]!
    pageInfo: PageInfo!
  }

  "Counts over the group's lifetime, from all instances."
  type RetryStats {
    scheduled: Int!
    retried: Int!
    succeeded: Int!
    deadLettered: Int!
    replayed: Int!
    "Retries waiting for their delay or running now."
    pending: Int!
    "Retry jobs that gave up on infrastructure failures and wait for an operator (runbook)."
    failedJobs: Int!
  }

  enum ReplayOutcome {
    "Applied: the dead letter left the list."
    REPLAYED
    "Failed again: still listed, one attempt and one history entry richer."
    FAILED
    "Replayed before; nothing was done."
    ALREADY_REPLAYED
    "Another replay or a discard of it is running now (any instance); nothing was done."
    IN_PROGRESS
    "Discarded by an operator; nothing was done."
    DISCARDED
    "A dry run: still listed, so a replay would run its handler; nothing was done."
    WOULD_REPLAY
  }

  type ReplayResult {
    id: ID!
    outcome: ReplayOutcome!
    errorName: String
    errorMessage: String
    deadLetter: DeadLetter
  }

  extend type Query {
    """
    Dead letters, newest first. \`reason\`: exhausted or non-retryable. \`errorContains\`: in the
    error name or message. \`key\`: the record key, exactly. \`since\`/\`until\`: ISO 8601.
    \`first\`: 1-100.
    """
    deadLetters(
      topic: String
      reason: String
      errorContains: String
      key: String
      since: String
      until: String
      first: Int = 20
      after: String
    ): DeadLetterConnection!
    deadLetter(id: ID!): DeadLetter
    retryStats: RetryStats!
  }

  type Mutation {
    """
    Re-runs the dead letter's handler now (needs Authorization: Bearer <operator token>).
    \`dryRun\`: only say what it would do (WOULD_REPLAY when listed); audited too.
    """
    replayDeadLetter(id: ID!, dryRun: Boolean! = false): ReplayResult!
  }
`;

export const deadLetterTypeDefs = [deadLetterReadTypeDefs, deadLetterOperationsTypeDefs];

/** The operations' dependencies (operations, authorize), and what the listing reads. */
export interface DeadLetterDeps extends DeadLetterOperationsDeps {
  deadLetters: DeadLetterStore;
  stats: () => Promise<RetryStats & { pending: number; failedJobs: number }>;
}

const text = (bytes: Buffer | null): string | null => {
  if (bytes === null) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
};

interface DeadLetterListArgs extends FilterInput {
  first?: number | null;
  after?: string | null;
}

export function deadLetterResolvers(deps: DeadLetterDeps) {
  const operations = deadLetterOperationsResolvers(deps);
  return {
    DeadLetter: {
      key: (letter: DeadLetter) => text(letter.key),
      payload: (letter: DeadLetter) => text(letter.value),
      payloadBase64: (letter: DeadLetter) => letter.value?.toString('base64') ?? null,
      firstFailedAt: (letter: DeadLetter) => letter.firstFailureAt,
      headers: (letter: DeadLetter) =>
        Object.entries(letter.headers).map(([name, value]) => ({ name, value })),
    },
    Query: {
      ...operations.Query,
      deadLetters: async (_parent: unknown, args: DeadLetterListArgs, context: GraphqlContext) => {
        deps.authorize(context, 'read', 'deadLetters');
        const first = pageSize(args.first);
        const filter = toDeadLetterFilter(args, '');
        try {
          const page = await deps.deadLetters.list(filter, { first, after: args.after });
          return {
            totalCount: page.totalCount,
            nodes: page.nodes,
            pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
          };
        } catch (error) {
          if (error instanceof InvalidCursorError) throw badInput(error.message, 'after');
          throw error;
        }
      },
      deadLetter: async (_parent: unknown, args: { id: string }, context: GraphqlContext) => {
        deps.authorize(context, 'read', 'deadLetter', { id: args.id });
        return deps.deadLetters.get(args.id);
      },
      retryStats: async (_parent: unknown, _args: unknown, context: GraphqlContext) => {
        deps.authorize(context, 'read', 'retryStats');
        return deps.stats();
      },
    },
    Mutation: {
      ...operations.Mutation,
      replayDeadLetter: async (
        _parent: unknown,
        args: { id: string; dryRun: boolean },
        context: GraphqlContext,
      ) => {
        deps.authorize(context, 'write', 'replayDeadLetter', { id: args.id, dryRun: args.dryRun });
        const result = await deps.operations.replay(actorOf(context.caller), args.id, {
          dryRun: args.dryRun,
        });
        if (result.outcome === 'not-found') {
          throw new GraphQLError(`no dead letter with id ${args.id}`, {
            extensions: { code: 'NOT_FOUND' },
          });
        }
        return {
          id: args.id,
          outcome: result.outcome.toUpperCase().replace('-', '_'),
          errorName: result.outcome === 'failed' ? result.errorName : null,
          errorMessage: result.outcome === 'failed' ? result.errorMessage : null,
          deadLetter: 'deadLetter' in result ? result.deadLetter : null,
        };
      },
    },
  };
}
