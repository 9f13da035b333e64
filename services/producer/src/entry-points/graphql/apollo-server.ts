import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { createGraphqlErrorMasker, graphqlLimitRules } from '@kafka-ecs/service-kit';
import type { Logger } from 'pino';
import { EXPECTED_CODES } from './errors.ts';
import { createResolvers, type UseCases } from './resolvers.ts';
import { typeDefs } from './schema.ts';

export interface GraphqlSettings {
  production: boolean;
  introspection: boolean;
  maxDepth: number;
  maxTokens: number;
}

/**
 * Most aliases in one operation, fragments included. Without it one request of a few KB runs
 * dozens of aliased createUser (a password hash and an event each).
 */
const MAX_ALIASES = 10;

/**
 * Apollo Server with the limits a public endpoint needs: nesting depth and aliases (validation
 * rules), document size in tokens (checked while parsing, before any work), no batched requests, and
 * errors masked in production. Apollo's own landing page is off: the IDE is served by the
 * service itself (service-kit's graphql-ide.ts).
 */
export function createApolloServer(options: {
  useCases: UseCases;
  logger: Logger;
  settings: GraphqlSettings;
}): ApolloServer {
  const { settings } = options;
  return new ApolloServer({
    typeDefs,
    resolvers: createResolvers(options.useCases),
    introspection: settings.introspection,
    includeStacktraceInErrorResponses: !settings.production,
    hideSchemaDetailsFromClientErrors: settings.production,
    allowBatchedHttpRequests: false,
    // Apollo would stop itself on SIGTERM and re-raise the signal, killing the process before
    // main.ts's ordered shutdown flushes the publisher; closing the app drains it instead.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: settings.maxTokens },
    validationRules: graphqlLimitRules({
      maxDepth: settings.maxDepth,
      maxAliases: MAX_ALIASES,
      exposeLimits: !settings.production,
    }),
    formatError: createGraphqlErrorMasker({
      logger: options.logger,
      expectedCodes: EXPECTED_CODES,
      showUnexpected: !settings.production,
      hideSchemaHints: settings.production,
    }),
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
}
