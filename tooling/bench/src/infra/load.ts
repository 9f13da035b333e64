import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  connections: number;
  /** Stop after this many requests (all answered), or after `durationS`. */
  amount?: number;
  durationS?: number;
  /** Requests per second over all connections (open loop); unlimited when absent. */
  overallRate?: number;
  /** Body of each request (called once per request). */
  body?: () => string;
  /** Each answer, as it arrives. */
  onResponse?: (status: number, body: string) => void;
  /** A 2xx answer whose body fails this counts as a mismatch. */
  verifyBody?: (body: string) => boolean;
  /** Hard bound on the whole run: autocannon is stopped then, and the run fails. */
  maxMs: number;
}

export interface LoadResult {
  /** Answers received. */
  responses: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  durationS: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * One autocannon run (HTTP/1.1 keep-alive, no pipelining), summarized. Rejected when it is
 * still running at `maxMs`: its figures would then be those of a cut-short run.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const request: autocannon.Request = { method: options.method ?? 'GET' };
  if (options.body) {
    const makeBody = options.body;
    request.setupRequest = (req) => ({ ...req, body: makeBody() });
  }
  if (options.onResponse) {
    const onResponse = options.onResponse;
    request.onResponse = (status, body) => onResponse(status, body);
  }
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...options.headers },
    connections: options.connections,
    pipelining: 1,
    timeout: 10,
    ...(options.amount !== undefined ? { amount: options.amount } : {}),
    ...(options.durationS !== undefined ? { duration: options.durationS } : {}),
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    ...(options.verifyBody ? { verifyBody: options.verifyBody } : {}),
    requests: [request],
  } as autocannon.Options);
  // autocannon hands its result over on its next one-second tick, and its `duration` counts up
  // to that tick: a run that ends by `amount` 2.5 s in reports 3.01 s (a rate 17 % low). The
  // rate here is over the time until the last answer instead.
  let lastAnswer = started;
  // The returned promise is also autocannon's event emitter (its types name only the promise).
  (instance as unknown as NodeJS.EventEmitter).on('response', () => {
    lastAnswer = performance.now();
  });
  let stoppedByBound = false;
  const bound = setTimeout(() => {
    stoppedByBound = true;
    (instance as unknown as { stop(): void }).stop();
  }, options.maxMs);
  try {
    const result = await instance;
    const responses = result['2xx'] + result.non2xx;
    if (stoppedByBound) {
      throw new Error(
        `load on ${options.url} still running at its ${options.maxMs} ms bound: stopped after ${responses} answers`,
      );
    }
    const extra = result as unknown as { mismatches?: number };
    return {
      responses,
      ok2xx: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      mismatches: extra.mismatches ?? 0,
      durationS: (lastAnswer - started) / 1000,
      requestsPerSecond: lastAnswer > started ? responses / ((lastAnswer - started) / 1000) : 0,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
    };
  } finally {
    clearTimeout(bound);
  }
}
