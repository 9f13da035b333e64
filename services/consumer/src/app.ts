import {
  closeConnectionsWhenClosing,
  httpClientLimits,
  lingerOnUnreadBody,
  type ReadinessCheck,
  registerHealthRoutes,
} from '@kafka-ecs/service-kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Authenticate } from './entry-points/graphql/auth/bearer-authenticator.ts';
import { mountGraphql } from './entry-points/graphql/graphql-server.ts';
import { registerPingRoute } from './entry-points/http/ping.route.ts';
import type { ProducerClient } from './infra/producer-client.ts';

export interface ConsumerAppDeps {
  logger: FastifyBaseLogger;
  checks: ReadinessCheck[];
  producer: ProducerClient;
  schema: GraphQLSchema;
  /** Who a request's bearer token says calls GraphQL. */
  authenticate: Authenticate;
  /** Largest GraphQL-over-WebSocket message (WS_MAX_PAYLOAD_BYTES). */
  wsMaxPayloadBytes: number;
  /** WebSocket connections held at once (graphql-server.ts' WS_MAX_CONNECTIONS by default). */
  wsMaxConnections?: number;
  /** Largest request body (HTTP_BODY_LIMIT_BYTES); 413 past it. */
  bodyLimitBytes: number;
  /** Answer GraphQL introspection (off in production). */
  introspection: boolean;
  /** Serve the GraphQL IDE to browsers at GET /graphql (GRAPHQL_IDE). */
  graphqlIde: boolean;
}

/** Builds the consumer's HTTP app without listening, so tests can inject requests in process. */
export async function buildConsumerApp(deps: ConsumerAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // A client trickling its headers or body is cut after 10 s (408), not held forever.
    ...httpClientLimits(),
    loggerInstance: deps.logger,
    // Fastify's default is 1 MiB, parsed as JSON before GraphQL's token bound applies; a query,
    // its variables and a dead-letter filter take a few KB.
    bodyLimit: deps.bodyLimitBytes,
    // Fastify's own two lines per request are off: the load balancer's health checks alone would
    // fill the log.
    logController: new LogController({ disableRequestLogging: true }),
  });
  // A request in flight at shutdown is answered on a connection that then closes: a keep-alive
  // client would otherwise hold the close, and the consumer's leaving its group, for up to 72 s.
  // First, before the GraphQL server's own preClose hook.
  closeConnectionsWhenClosing(app);
  // A 413 reaches a client that is still sending its body, instead of a reset.
  lingerOnUnreadBody(app);
  registerHealthRoutes(app, {
    basePath: '/',
    service: 'consumer',
    checks: deps.checks,
  });
  registerPingRoute(app, { producer: deps.producer });
  await mountGraphql(app, {
    schema: deps.schema,
    logger: deps.logger,
    authenticate: deps.authenticate,
    wsMaxPayloadBytes: deps.wsMaxPayloadBytes,
    wsMaxConnections: deps.wsMaxConnections,
    introspection: deps.introspection,
    ide: deps.graphqlIde,
  });
  return app;
}
