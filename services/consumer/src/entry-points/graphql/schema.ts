import { makeExecutableSchema } from '@graphql-tools/schema';
import { filter } from '@graphql-yoga/subscription';
import type { GraphQLSchema } from 'graphql';
import type { UserView } from '../../domain/user-view.ts';
import { decodeUsersCursor, type ViewStore } from '../../infra/redis-view-store.ts';
import {
  authorizeUserList,
  authorizeUserRead,
  type GraphqlContext,
  notificationFilter,
  tokenExpiry,
} from './auth/read-rules.ts';
import {
  type DeadLetterDeps,
  deadLetterResolvers,
  deadLetterTypeDefs,
} from './dead-letter.schema.ts';
import { badInput, MAX_PAGE_SIZE, pageSize } from './input-checks.ts';
import { endWhenBehind } from './subscriber-bound.ts';

const typeDefs = /* GraphQL */ `
  "One user as the read side knows it, built from new-user-created and issued-token events."
  type UserView {
    id: ID!
    username: String!
    email: String!
    firstName: String
    lastName: String
    "ISO 8601, UTC."
    createdAt: String!
    tokensIssued: Int!
    lastTokenIssuedAt: String
  }

  type PageInfo {
    "Pass as \`after\` to get the next page."
    endCursor: String
    hasNextPage: Boolean!
  }

  type UserConnection {
    totalCount: Int!
    nodes: [UserView!]!
    pageInfo: PageInfo!
  }

  type Query {
    "A login token reads its own user (FORBIDDEN for another id); an operator token, anyone."
    user(id: ID!): UserView
    "Users ordered by creation time, then id. \`first\`: 1-${MAX_PAGE_SIZE}. Operator token only."
    users(first: Int = 20, after: String): UserConnection!
  }

  type Subscription {
    """
    Fires when any consumer instance applies a new-user-created or issued-token event: of the
    token's own user for a login token, of every user for an operator token.
    """
    userNotification: UserView!
  }
`;

/** Where the resolvers read from: the store, the registry's active view, the notification stream. */
export interface GraphqlDeps {
  store: ViewStore;
  activeView: () => Promise<string>;
  /** Every notification published by any instance, as the raw user hash the script sends. */
  notifications: () => AsyncIterable<UserView>;
  /** The dead-letter operations (queries, replay, stats). */
  operator: DeadLetterDeps;
}

export function createGraphqlSchema(deps: GraphqlDeps): GraphQLSchema {
  const operator = deadLetterResolvers(deps.operator);
  return makeExecutableSchema({
    typeDefs: [typeDefs, ...deadLetterTypeDefs],
    resolvers: {
      DeadLetter: operator.DeadLetter,
      Mutation: operator.Mutation,
      Query: {
        ...operator.Query,
        user: async (_parent: unknown, args: { id: string }, context: GraphqlContext) => {
          authorizeUserRead(context.caller, args.id);
          return deps.store.user(await deps.activeView(), args.id);
        },
        users: async (
          _parent: unknown,
          args: { first?: number | null; after?: string | null },
          context: GraphqlContext,
        ) => {
          authorizeUserList(context.caller);
          const first = pageSize(args.first);
          const after = args.after == null ? null : decodeUsersCursor(args.after);
          if (args.after != null && after === null) {
            throw badInput('after is not a cursor returned by users', 'after');
          }
          const page = await deps.store.users(await deps.activeView(), { first, after });
          return {
            totalCount: page.totalCount,
            nodes: page.nodes,
            pageInfo: { endCursor: page.endCursor, hasNextPage: page.hasNextPage },
          };
        },
      },
      Subscription: {
        userNotification: {
          // Bounded after the caller's filter: only what this caller would receive waits.
          subscribe: (_parent: unknown, _args: unknown, context: GraphqlContext) =>
            endWhenBehind(filter(notificationFilter(context.caller))(deps.notifications()), {
              endAt: tokenExpiry(context.caller),
            }),
          resolve: (payload: UserView): UserView => payload,
        },
      },
    },
  });
}
