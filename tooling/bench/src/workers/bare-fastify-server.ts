// The ceiling of scenario 5: a bare Fastify route on the service's GraphQL path that parses the
// JSON body and answers what `{ __typename }` answers, with nothing in between (no GraphQL, no
// hooks, no log line).
import Fastify from 'fastify';

const path = process.env.ROUTE ?? '/graphql';
const app = Fastify({ logger: false });
app.post(path, async (request) => {
  const query = (request.body as { query?: unknown } | undefined)?.query;
  if (typeof query !== 'string') throw new Error('a query is required');
  return { data: { __typename: 'Query' } };
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
// The harness reads a service's `listening` line, which names a metrics URL too; none here.
console.log(JSON.stringify({ msg: 'listening', url, metricsUrl: url }));
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
