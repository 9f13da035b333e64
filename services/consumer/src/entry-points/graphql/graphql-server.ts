import { ApolloServer } from '@apollo/server';
import fastifyApollo from '@as-integrations/fastify';
import { createGraphqlErrorMasker, graphqlLimitRules } from '@kafka-ecs/service-kit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { GraphqlContext } from './operator-auth.ts';

/** Codes the resolvers raise on purpose; anything else is masked and logged. */
const EXPECTED_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND'];

/**
 * GraphQL on `path`: queries over HTTP through Apollo Server, subscriptions over WebSocket
 * (graphql-ws protocol) on the same path. Closing the app closes the sockets first (before the
 * HTTP server waits for its connections), then stops Apollo, so shutdown never waits on a
 * subscriber.
 */
export async function mountGraphql(
  app: FastifyInstance,
  options: { schema: GraphQLSchema; logger: FastifyBaseLogger; path?: string },
): Promise<void> {
  const path = options.path ?? '/graphql';
  const { logger } = options;
  // Masked in every environment: the consumer has no development-only error detail.
  const formatError = createGraphqlErrorMasker({
    logger,
    expectedCodes: EXPECTED_CODES,
    showUnexpected: false,
  });

  const sockets = new WebSocketServer({ server: app.server, path });
  const subscriptions = useServer(
    {
      schema: options.schema,
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn({ errors }, 'graphql subscription error');
      },
    },
    sockets,
  );
  app.addHook('preClose', async () => {
    await subscriptions.dispose();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  });

  const apollo = new ApolloServer<GraphqlContext>({
    schema: options.schema,
    formatError,
    // Shutdown is ordered by main.ts (HTTP, consumer, Redis). Apollo's own handler (on outside
    // NODE_ENV=test) would stop the server early and re-raise SIGTERM, killing the process
    // before the in-flight batch is committed.
    stopOnTerminationSignals: false,
    // Bounds on what one document may cost, as on the producer: parsing (tokens; a deeply
    // nested megabyte would otherwise overflow the parser's stack), nesting and aliases (2,000
    // aliased users(first: 100) in one request would all run).
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: 2_000 },
    validationRules: graphqlLimitRules({ maxDepth: 8, maxAliases: 10, exposeLimits: true }),
  });
  await apollo.start();
  // Fastify's close already stops accepting and waits for in-flight requests; Apollo's drain
  // plugin would call fastify.close() itself, which deadlocks when close is what stops Apollo.
  app.addHook('onClose', async () => {
    await apollo.stop();
  });
  await app.register(fastifyApollo(apollo), {
    path,
    context: async (request) => ({ authorization: request.headers.authorization }),
  });
}
