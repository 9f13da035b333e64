import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import {
  createGraphqlErrorMasker,
  createGraphqlIdePage,
  graphqlLimitRules,
  wantsGraphqlIde,
} from '@kafka-ecs/service-kit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { GraphQLError, type GraphQLSchema, NoSchemaIntrospectionCustomRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { type ServerOptions, type WebSocket, WebSocketServer } from 'ws';
import { throttledWarning } from '../../infra/throttled-warning.ts';
import type { Authenticate } from './auth/bearer-authenticator.ts';
import type { GraphqlContext } from './auth/read-rules.ts';
import { connectionAdmission } from './ws-connection-limits.ts';
import { checkSubscribe, maskResult } from './ws-operation-checks.ts';

/** The wait for a client's answer to a close (see the WebSocket server below). */
export const WS_CLOSE_TIMEOUT_MS = 1_000;

/** Codes the resolvers raise on purpose; anything else is masked and logged. */
const EXPECTED_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'SUBSCRIBER_BEHIND',
  'TOO_MANY_SUBSCRIPTIONS',
  'SERVICE_UNAVAILABLE',
];

/**
 * Operations one socket may run at once: each subscription may hold SUBSCRIBER_WAITING_MAX
 * notifications (about 2 MB) for a client that stops reading, so a socket is bounded too.
 */
export const MAX_OPERATIONS_PER_SOCKET = 10;

/**
 * WebSocket connections one process holds at once; a connection past it is closed at once with
 * 1013 (try again later). Each holds ws' and graphql-ws' state and buffers in the memory the
 * task's Kafka consumer needs too, and anyone may open one (a token is asked per operation).
 */
export const WS_MAX_CONNECTIONS = 2_000;

/**
 * Bounds on what one document may cost, over HTTP and WebSocket alike, as on the producer:
 * parsing (tokens; a deeply nested megabyte would otherwise overflow the parser's stack), nesting
 * and aliases (2,000 aliased users(first: 100) in one request would all run).
 */
const MAX_TOKENS = 2_000;
const limitRules = graphqlLimitRules({ maxDepth: 8, maxAliases: 10, exposeLimits: true });

/** What the IDE's first tab holds: how to get and paste a token, a query and a subscription. */
const IDE_DEFAULT_QUERY = `# User data needs a token. Paste it in the Headers editor below:
#   { "Authorization": "Bearer <token>" }
# A user's token: the producer's login mutation (it reads its own user).
# An operator's token: ADMIN_TOKEN or one of OPERATOR_TOKENS (it reads everyone).
query Users {
  users(first: 10) {
    totalCount
    nodes { id username email createdAt tokensIssued }
  }
}

# Changes as the consumer applies them; runs over WebSocket with the same token.
subscription UserChanges {
  userNotification { id username tokensIssued lastTokenIssuedAt }
}
`;

/** The header editor's text in a new tab: where the token goes, as JSON. */
const IDE_DEFAULT_HEADERS = `{
  // "Authorization": "Bearer <token>"
}`;

export interface GraphqlServerOptions {
  schema: GraphQLSchema;
  logger: FastifyBaseLogger;
  /** Who the bearer token (HTTP header, or `connectionParams.authorization`) says calls. */
  authenticate: Authenticate;
  /** Largest WebSocket message; a larger one closes the socket with 1009. */
  wsMaxPayloadBytes: number;
  /** WebSocket connections held at once. @defaultValue WS_MAX_CONNECTIONS */
  wsMaxConnections?: number;
  /** Answer introspection (Apollo's default: not in production), over HTTP and WebSocket alike. */
  introspection: boolean;
  /** Serve the GraphQL IDE to a browser's GET on `path` (GRAPHQL_IDE). */
  ide: boolean;
  path?: string;
}

/**
 * GraphQL on `path`: queries over HTTP through Apollo Server, subscriptions over WebSocket
 * (graphql-ws protocol) on the same path, with the same limits, authentication and error masking.
 * Closing the app closes the sockets first (before the HTTP server waits for its connections),
 * then stops Apollo, so shutdown never waits on a subscriber.
 */
export async function mountGraphql(
  app: FastifyInstance,
  options: GraphqlServerOptions,
): Promise<void> {
  const path = options.path ?? '/graphql';
  const { logger, schema, authenticate } = options;
  // Masked in every environment: the consumer has no development-only error detail.
  const formatError = createGraphqlErrorMasker({
    logger,
    expectedCodes: EXPECTED_CODES,
    showUnexpected: false,
    hideSchemaHints: !options.introspection,
  });

  // What Apollo adds when introspection is off, so a socket tells no more than HTTP does.
  const wsRules = options.introspection
    ? limitRules
    : [...limitRules, NoSchemaIntrospectionCustomRule];
  const socketOptions: ServerOptions & { closeTimeout: number } = {
    server: app.server,
    path,
    // ws closes the socket with 1009 (message too big) past this, before parsing anything.
    maxPayload: options.wsMaxPayloadBytes,
    // How long a socket closed at shutdown waits for its client's answer before it is
    // destroyed: ws' 30 s would hold the shutdown, whose deadline is 10 s, on one vanished
    // client. ws takes it (8.23); @types/ws 8.18.2, the newest, does not name it.
    closeTimeout: WS_CLOSE_TIMEOUT_MS,
  };
  const sockets = new WebSocketServer(socketOptions);
  const maxConnections = options.wsMaxConnections ?? WS_MAX_CONNECTIONS;
  const refused = refuseConnectionsPast(sockets, maxConnections, logger);
  const admit = connectionAdmission(maxConnections, logger);
  // The connection_init's bearer token, as `Authorization` over HTTP.
  const socketCaller = (params: Record<string, unknown> | undefined) =>
    authenticate(typeof params?.authorization === 'string' ? params.authorization : undefined);
  const subscriptions = useServer(
    {
      schema,
      // Close reasons never carry an error's message, whatever NODE_ENV says.
      isProd: true,
      // A refused connection is closing, but ws still hands graphql-ws what it sends meanwhile.
      // The token is read here to count the connection, and again for each operation: a
      // token that has expired since is refused as it is over HTTP.
      onConnect: async (ctx) => {
        if (refused.has(ctx.extra.socket)) return false;
        return admit(ctx.extra.socket, await socketCaller(ctx.connectionParams));
      },
      context: async (ctx): Promise<GraphqlContext> => ({
        caller: await socketCaller(ctx.connectionParams),
      }),
      // graphql-ws has already added this operation to ctx.subscriptions.
      onSubscribe: (ctx, _id, payload) =>
        Object.keys(ctx.subscriptions).length > MAX_OPERATIONS_PER_SOCKET
          ? [
              new GraphQLError(
                `at most ${MAX_OPERATIONS_PER_SOCKET} operations run at once on one connection`,
                { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } },
              ),
            ]
          : checkSubscribe(schema, payload, { maxTokens: MAX_TOKENS, rules: wsRules }),
      // graphql-ws would send graphql-js's errors as they are: a refused variable's value with
      // them. The same masker as HTTP answers instead.
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((error) => formatError(error.toJSON(), error)),
      onNext: (_ctx, _id, _payload, _args, result) => maskResult(result, formatError),
    },
    sockets,
  );
  app.addHook('preClose', async () => {
    await subscriptions.dispose();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  });

  const apollo = new ApolloServer<GraphqlContext>({
    schema,
    formatError,
    // Shutdown is ordered by main.ts (HTTP, consumer, Redis). Apollo's own handler (on outside
    // NODE_ENV=test) would stop the server early and re-raise SIGTERM, killing the process
    // before the in-flight batch is committed.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    introspection: options.introspection,
    // Without introspection, graphql-js' "Did you mean …?" would still name the fields it hides.
    hideSchemaDetailsFromClientErrors: !options.introspection,
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: limitRules,
    // Apollo's landing page loads Sandbox from a CDN (blank offline, and in production a page
    // nobody asked for); the IDE, when on, is served by the service itself instead.
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  // Fastify's close already stops accepting and waits for in-flight requests; Apollo's drain
  // plugin would call fastify.close() itself, which deadlocks when close is what stops Apollo.
  app.addHook('onClose', async () => {
    await apollo.stop();
  });
  const graphql = fastifyApolloHandler(apollo, {
    context: async (request) => ({ caller: await authenticate(request.headers.authorization) }),
  });
  const idePage = createGraphqlIdePage({
    endpoint: path,
    title: 'consumer-svc GraphQL',
    defaultQuery: IDE_DEFAULT_QUERY,
    defaultHeaders: IDE_DEFAULT_HEADERS,
    subscriptions: 'graphql-ws',
  });
  // The methods Apollo's fastify plugin registers; a browser's GET gets the IDE first.
  app.route<{ Reply: string }>({
    method: ['GET', 'POST', 'OPTIONS'],
    url: path,
    async handler(request, reply) {
      if (options.ide && wantsGraphqlIde(request)) {
        const { html, headers } = await idePage();
        reply.headers(headers);
        return html;
      }
      return graphql.call(this, request, reply);
    },
  });
}

/**
 * Closes each connection past `max` with 1013 as it opens; logs how many, once a minute at most.
 * The closing ones, which graphql-ws must not acknowledge.
 */
function refuseConnectionsPast(
  sockets: WebSocketServer,
  max: number,
  logger: FastifyBaseLogger,
): WeakSet<WebSocket> {
  const closing = new WeakSet<WebSocket>();
  const refused = throttledWarning(
    logger,
    'WebSocket connections refused: the process holds its most',
  );
  sockets.on('connection', (socket) => {
    // ws has counted the new connection in `clients` already (and those still closing).
    if (sockets.clients.size <= max) return;
    closing.add(socket);
    socket.close(1013, 'too many connections, try again later');
    refused({ max });
  });
  return closing;
}
