import { randomUUID } from 'node:crypto';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import {
  closeConnectionsWhenClosing,
  createGraphqlIdePage,
  httpClientLimits,
  lingerOnUnreadBody,
  type ReadinessCheck,
  registerHealthRoutes,
  wantsGraphqlIde,
} from '@kafka-ecs/service-kit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { createApolloServer, type GraphqlSettings } from './entry-points/graphql/apollo-server.ts';
import type { UseCases } from './entry-points/graphql/resolvers.ts';

export const BASE_PATH = '/producer-svc';
export const GRAPHQL_PATH = `${BASE_PATH}/graphql`;

const IDE_DEFAULT_QUERY = `# Create a user, then log in with it.
mutation CreateUser {
  createUser(input: { username: "ada", email: "ada@example.com", password: "correct horse" }) {
    id
    username
    createdAt
  }
}
`;

export interface ProducerAppSettings extends GraphqlSettings {
  /** Serve the GraphQL IDE to browsers. */
  ide: boolean;
  bodyLimitBytes: number;
}

export interface ProducerAppDeps {
  logger: Logger;
  useCases: UseCases;
  readiness: ReadinessCheck[];
  settings: ProducerAppSettings;
}

// A caller's request id is kept when it looks like one, so a trace crosses services.
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Builds the producer's HTTP app without listening, so tests can run it on port 0 or inject
 * requests. Closing the app drains Apollo after the in-flight requests finished.
 */
export async function buildProducerApp(deps: ProducerAppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the app typed with the base one.
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.settings.bodyLimitBytes,
    // A client trickling its headers or body is cut after 10 s (408), not held forever.
    ...httpClientLimits(),
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  // Requests in flight when closing starts still get their answer, on a connection that then
  // closes: otherwise a keep-alive client holds the server open past the shutdown deadline.
  closeConnectionsWhenClosing(app);
  // A 413 reaches a client that is still sending its body, instead of a reset.
  lingerOnUnreadBody(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    request.log.debug({ method: request.method, path: request.url.split('?')[0] }, 'received');
  });
  app.addHook('onResponse', async (request, reply) => {
    // The path only: a query string may carry a GraphQL document and its variables.
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  registerHealthRoutes(app, {
    basePath: BASE_PATH,
    service: 'producer',
    checks: deps.readiness,
  });
  app.get(`${BASE_PATH}/ping-what`, async () => ({ ok: 'Pong!' }));

  const apollo = createApolloServer({
    useCases: deps.useCases,
    logger: deps.logger,
    settings: deps.settings,
  });
  await apollo.start();
  app.addHook('onClose', async () => {
    await apollo.stop();
  });
  const graphql = fastifyApolloHandler(apollo);
  const idePage = createGraphqlIdePage({
    endpoint: GRAPHQL_PATH,
    title: 'producer-svc GraphQL',
    defaultQuery: IDE_DEFAULT_QUERY,
  });
  app.route<{ Reply: string }>({
    method: ['GET', 'POST', 'OPTIONS'],
    url: GRAPHQL_PATH,
    async handler(request, reply) {
      if (deps.settings.ide && wantsGraphqlIde(request)) {
        const { html, headers } = await idePage();
        reply.headers(headers);
        return html;
      }
      return graphql.call(this, request, reply);
    },
  });
  return app;
}
