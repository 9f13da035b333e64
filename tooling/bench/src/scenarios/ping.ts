import type { Scenario } from '../context.ts';
import { type LoadResult, runLoad } from '../infra/load.ts';
import { metric } from '../result-schema.ts';
import { sharedConsumer } from './http-services.ts';

/** 4. GET /ping on the consumer, which calls the producer's /ping-what for every request. */
export const pingScenario: Scenario = {
  id: 'ping',
  title: '4. /ping (consumer → producer)',
  async run(context) {
    const { options } = context;
    const { service } = await sharedConsumer(context);
    const url = `${service.url}/ping`;
    await runLoad({ url, connections: options.connections, durationS: 1, maxMs: 30_000 });
    const runs: LoadResult[] = [];
    for (let run = 0; run < options.runs; run++) {
      const load = await runLoad({
        url,
        connections: options.connections,
        durationS: options.pingSeconds,
        maxMs: options.pingSeconds * 1_000 + 30_000,
      });
      context.log(
        `  run ${run + 1}: ${Math.round(load.requestsPerSecond)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms`,
      );
      runs.push(load);
    }
    const failures = runs.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
    return {
      metrics: [
        metric(
          'requests/s',
          'req/s',
          runs.map((r) => r.requestsPerSecond),
          {
            comparison: 'atLeast',
            value: 10_000,
          },
        ),
        metric(
          'p50',
          'ms',
          runs.map((r) => r.p50Ms),
        ),
        metric(
          'p99',
          'ms',
          runs.map((r) => r.p99Ms),
          { comparison: 'atMost', value: 10 },
        ),
      ],
      checks: [
        {
          name: 'every /ping answered 200',
          ok: failures === 0,
          detail: `${failures} non-2xx, errors or timeouts of ${runs.reduce((sum, r) => sum + r.responses, 0)}`,
        },
      ],
      notes: [
        `${options.connections} connections, ${options.pingSeconds} s per run after 1 s of warm-up`,
      ],
    };
  },
};
