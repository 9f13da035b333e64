import type { ServiceProcess } from '@kafka-ecs/testing';
import type { Scenario } from '../context.ts';
import { type LoadResult, runLoad } from '../infra/load.ts';
import { runPaced } from '../infra/paced-load.ts';
import { startWorkerServer, stopWorkerServer } from '../infra/workers.ts';
import { ceilingRatio, metric } from '../result-schema.ts';
import { median } from '../stats.ts';
import { sharedConsumer } from './http-services.ts';

/**
 * 4. GET /ping on the consumer, which calls the producer's /ping-what for every request; next
 * to it, run by run, its ceiling: the same two hops through bare Node `http` servers in two
 * processes (passthrough-server.ts). Then /ping offered a steady rate (runPaced, open loop):
 * half the ceiling's (issue #18's latency target, more than /ping sustains while it does less
 * than half of its ceiling) and half its own, for its latency when it is not saturated.
 */
export const pingScenario: Scenario = {
  id: 'ping',
  title: '4. /ping (consumer → producer)',
  async run(context) {
    const { options } = context;
    const { service } = await sharedConsumer(context);
    const url = `${service.url}/ping`;
    const servers: ServiceProcess[] = [];
    try {
      const back = await startWorkerServer(context, 'passthrough-server', { ROLE: 'back' });
      servers.push(back);
      const front = await startWorkerServer(context, 'passthrough-server', {
        ROLE: 'front',
        UPSTREAM: back.url,
      });
      servers.push(front);
      const ceilingUrl = `${front.url}/ping`;
      const load = (target: string) =>
        runLoad({
          url: target,
          connections: options.connections,
          durationS: options.pingSeconds,
          maxMs: options.pingSeconds * 1_000 + 30_000,
        });
      for (const target of [url, ceilingUrl]) {
        await runLoad({
          url: target,
          connections: options.connections,
          durationS: 1,
          maxMs: 30_000,
        });
      }
      const pings: LoadResult[] = [];
      const ceilings: LoadResult[] = [];
      for (let run = 0; run < options.runs; run++) {
        pings.push(await load(url));
        ceilings.push(await load(ceilingUrl));
        const [ping, ceiling] = [pings.at(-1), ceilings.at(-1)] as [LoadResult, LoadResult];
        context.log(
          `  run ${run + 1}: /ping ${Math.round(ping.requestsPerSecond)} req/s, p50 ${ping.p50Ms} ms, p99 ${ping.p99Ms} ms; passthrough ${Math.round(ceiling.requestsPerSecond)} req/s, p99 ${ceiling.p99Ms} ms`,
        );
      }
      const half = (runs: LoadResult[]) =>
        Math.max(1, Math.round(median(runs.map((r) => r.requestsPerSecond)) / 2));
      const paced = async (rate: number) => {
        const runs: LoadResult[] = [];
        for (let run = 0; run < Math.min(options.runs, 3); run++) {
          runs.push(
            await runPaced({
              url,
              rate,
              durationS: options.pingSeconds,
              connections: options.connections,
              maxMs: options.pingSeconds * 1_000 + 60_000,
            }),
          );
          context.log(
            `  at ${rate} req/s: /ping p50 ${runs.at(-1)?.p50Ms.toFixed(1)} ms, p99 ${runs.at(-1)?.p99Ms.toFixed(1)} ms`,
          );
        }
        return runs;
      };
      const [ceilingHalf, ownHalf] = [half(ceilings), half(pings)];
      const atCeilingHalf = await paced(ceilingHalf);
      const atOwnHalf = await paced(ownHalf);
      const all = [...pings, ...ceilings, ...atCeilingHalf, ...atOwnHalf];
      const failures = all.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
      const rates = pings.map((r) => r.requestsPerSecond);
      const ceilingRates = ceilings.map((r) => r.requestsPerSecond);
      return {
        metrics: [
          metric('requests/s', 'req/s', rates),
          metric('ceiling: Node http passthrough, same two hops', 'req/s', ceilingRates),
          ceilingRatio('/ping', 'ratio /ping / passthrough', rates, ceilingRates, {
            comparison: 'atLeast',
            value: 0.6,
          }),
          metric(
            'p50',
            'ms',
            pings.map((r) => r.p50Ms),
          ),
          metric(
            'p99',
            'ms',
            pings.map((r) => r.p99Ms),
          ),
          metric(
            'passthrough p99',
            'ms',
            ceilings.map((r) => r.p99Ms),
          ),
          metric(
            `p99 at half the passthrough's rate (${ceilingHalf} req/s)`,
            'ms',
            atCeilingHalf.map((r) => r.p99Ms),
            { comparison: 'atMost', value: 10 },
          ),
          metric(
            `p50 at half its own rate (${ownHalf} req/s)`,
            'ms',
            atOwnHalf.map((r) => r.p50Ms),
          ),
          metric(
            `p99 at half its own rate (${ownHalf} req/s)`,
            'ms',
            atOwnHalf.map((r) => r.p99Ms),
          ),
        ],
        checks: [
          {
            name: 'every /ping and passthrough request answered 200',
            ok: failures === 0,
            detail: `${failures} non-2xx, errors or timeouts of ${all.reduce((sum, r) => sum + r.responses, 0)}`,
          },
        ],
        notes: [
          `${options.connections} connections, ${options.pingSeconds} s per run after 1 s of warm-up; /ping and the passthrough alternate run by run, then /ping is offered a steady rate (requests at even intervals, latency from when each was due, up to ${options.connections} keep-alive sockets): half the passthrough's median rate (more than /ping sustains while it is below 0.5× of it) and half its own`,
          "passthrough: two Node http servers in two processes, the front calling the back over a keep-alive agent of 32 sockets (the consumer's) and relaying the parsed JSON",
        ],
      };
    } finally {
      for (const server of servers.reverse()) await stopWorkerServer(context, server);
    }
  },
};
