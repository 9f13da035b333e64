import type { ServiceProcess } from '@kafka-ecs/testing';
import type { BenchContext, Scenario } from '../context.ts';
import { type LoadResult, runLoad } from '../infra/load.ts';
import { startWorkerServer, stopWorkerServer } from '../infra/workers.ts';
import { type Check, ceilingRatio, type Metric, metric } from '../result-schema.ts';
import { sharedConsumer, sharedProducer } from './http-services.ts';

const BODY = JSON.stringify({ query: '{ __typename }' });
const answersTypename = (body: string) => body.includes('"__typename":"Query"');

/**
 * 5. What a service adds to a request before any resolver runs: `{ __typename }` (no Redis, no
 * Kafka) against each service's GraphQL endpoint, run by run next to a bare Fastify route on
 * the same path that parses the body and answers the same JSON (bare-fastify-server.ts). The
 * difference is GraphQL (Apollo's parse, validate, execute) plus the service's hooks and its
 * access log line per request, which the bare route does not write.
 */
export const graphqlScenario: Scenario = {
  id: 'graphql',
  title: '5. GraphQL { __typename } (service vs bare Fastify)',
  async run(context) {
    const producer = await sharedProducer(context);
    const { service: consumer } = await sharedConsumer(context);
    const metrics: Metric[] = [];
    const checks: Check[] = [];
    for (const [name, base, path] of [
      ['producer', producer.url, '/producer-svc/graphql'],
      ['consumer', consumer.url, '/graphql'],
    ] as const) {
      const measured = await measure(context, `${base}${path}`, path);
      const rates = measured.service.map((r) => r.requestsPerSecond);
      const bare = measured.bare.map((r) => r.requestsPerSecond);
      metrics.push(
        metric(`${name} GraphQL requests/s`, 'req/s', rates),
        metric(`${name} ceiling: bare Fastify route`, 'req/s', bare),
        ceilingRatio(`${name} GraphQL`, `${name} ratio GraphQL / bare Fastify`, rates, bare),
        metric(
          `${name} GraphQL p99`,
          'ms',
          measured.service.map((r) => r.p99Ms),
        ),
      );
      const all = [...measured.service, ...measured.bare];
      const bad = all.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts + r.mismatches, 0);
      checks.push({
        name: `${name}: every { __typename } answered 200 with its data`,
        ok: bad === 0,
        detail: `${bad} non-2xx, errors, timeouts or other bodies of ${all.reduce((sum, r) => sum + r.responses, 0)}`,
      });
    }
    return {
      metrics,
      checks,
      notes: [
        `${context.options.connections} connections, ${context.options.pingSeconds} s per run after 1 s of warm-up, service and bare route alternating; POST ${BODY}`,
      ],
    };
  },
};

async function measure(
  context: BenchContext,
  url: string,
  path: string,
): Promise<{ service: LoadResult[]; bare: LoadResult[] }> {
  const { options } = context;
  let server: ServiceProcess | undefined;
  try {
    server = await startWorkerServer(context, 'bare-fastify-server', { ROUTE: path });
    const bareUrl = `${server.url}${path}`;
    const load = (target: string, durationS: number) =>
      runLoad({
        url: target,
        method: 'POST',
        body: () => BODY,
        verifyBody: answersTypename,
        connections: options.connections,
        durationS,
        maxMs: durationS * 1_000 + 30_000,
      });
    await load(url, 1);
    await load(bareUrl, 1);
    const service: LoadResult[] = [];
    const bare: LoadResult[] = [];
    for (let run = 0; run < options.runs; run++) {
      service.push(await load(url, options.pingSeconds));
      bare.push(await load(bareUrl, options.pingSeconds));
      context.log(
        `  run ${run + 1}: ${path} ${Math.round(service.at(-1)?.requestsPerSecond ?? 0)} req/s, bare Fastify ${Math.round(bare.at(-1)?.requestsPerSecond ?? 0)} req/s`,
      );
    }
    return { service, bare };
  } finally {
    if (server) await stopWorkerServer(context, server);
  }
}
