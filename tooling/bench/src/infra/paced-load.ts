import http from 'node:http';
import { latencySummary } from '../stats.ts';
import type { LoadResult } from './load.ts';

export interface PacedLoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  /** Requests per second, sent at even intervals for `durationS` seconds. */
  rate: number;
  durationS: number;
  /** Keep-alive sockets at most; a request finding all busy waits for one (and that counts). */
  connections: number;
  /** Body of each request (called once per request). */
  body?: () => string;
  /** A 2xx answer whose body fails this counts as a mismatch. */
  verifyBody?: (body: string) => boolean;
  /** Each answer, as it arrives. */
  onResponse?: (status: number, body: string) => void;
  /** Bound on the whole run, in-flight answers included: past it the run fails. */
  maxMs: number;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * An open-loop load at a steady rate: request i is due at i / rate seconds and is sent then,
 * whether earlier ones have been answered or not, and its latency counts from when it was due
 * (so time spent waiting for a free socket is in it). autocannon's own rate limit is not that:
 * each connection sends as fast as it can until its per-second budget is spent and then waits
 * for the next second, so a "fixed rate" arrives as a burst at the start of every second and
 * its latency is the burst's.
 */
export async function runPaced(options: PacedLoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.max(1, Math.round(options.rate * options.durationS));
  const interval = 1_000 / options.rate;
  const latencies: number[] = [];
  const counts = { ok2xx: 0, non2xx: 0, errors: 0, timeouts: 0, mismatches: 0 };
  let lastAnswer = 0;
  let inFlight = 0;
  let allSent = false;
  /** Requests sent and not finished, so the bound can cancel those still queued for a socket. */
  const active = new Set<http.ClientRequest>();
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const done = () => {
    inFlight--;
    if (allSent && inFlight === 0) settle();
  };

  const send = (dueAt: number) => {
    inFlight++;
    const payload = options.body?.();
    // A request ends once: an answer, or one error (a timeout can raise one on the request and
    // another on a half-read response).
    let finished = false;
    const finish = (count?: 'errors' | 'timeouts') => {
      if (finished) return;
      finished = true;
      if (count) counts[count]++;
      active.delete(request);
      done();
    };
    const request = http.request(
      options.url,
      {
        method: options.method ?? 'GET',
        agent,
        headers: {
          'content-type': 'application/json',
          ...(payload === undefined ? {} : { 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          if (finished) return;
          lastAnswer = performance.now();
          latencies.push(lastAnswer - dueAt);
          const status = response.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString();
          // As autocannon counts: a mismatch is a 2xx whose body failed the check.
          if (status < 200 || status >= 300) counts.non2xx++;
          else {
            counts.ok2xx++;
            if (options.verifyBody && !options.verifyBody(body)) counts.mismatches++;
          }
          options.onResponse?.(status, body);
          finish();
        });
        response.on('error', () => finish('errors'));
      },
    );
    active.add(request);
    // Node starts this once the request has a socket: time queued for one is bounded by maxMs
    // only, and is in the latency, which counts from when the request was due.
    request.setTimeout(REQUEST_TIMEOUT_MS, () => {
      finish('timeouts');
      request.destroy();
    });
    request.on('error', () => finish('errors'));
    request.end(payload);
  };

  const started = performance.now();
  let sent = 0;
  // A timer about every millisecond sends whatever has come due since the last one.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - started) / interval) + 1);
      while (sent < due) send(started + sent++ * interval);
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  allSent = true;
  if (inFlight === 0) settle();
  let bound: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      settled,
      new Promise((_, reject) => {
        bound = setTimeout(
          () =>
            reject(
              new Error(
                `paced load on ${options.url} still had ${inFlight} requests in flight at its ${options.maxMs} ms bound`,
              ),
            ),
          Math.max(0, options.maxMs - (performance.now() - started)),
        );
      }),
    ]);
  } finally {
    clearTimeout(bound);
    // Past the bound, requests still waiting for a socket must not go on loading the service.
    for (const request of active) request.destroy();
    agent.destroy();
  }
  const responses = counts.ok2xx + counts.non2xx;
  const elapsedS = (Math.max(lastAnswer, started) - started) / 1000;
  const summary = latencySummary(latencies);
  return {
    responses,
    ...counts,
    durationS: elapsedS,
    requestsPerSecond: elapsedS > 0 ? responses / elapsedS : 0,
    p50Ms: summary.p50,
    p99Ms: summary.p99,
  };
}
