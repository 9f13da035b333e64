import http from 'node:http';
import https from 'node:https';
import { KafkaEcsError } from '@kafka-ecs/errors';
import axios, { type AxiosError } from 'axios';

/** The producer could not give a usable answer; `status` is what /ping answers with. */
export class UpstreamError extends KafkaEcsError {
  readonly status: 502 | 504;
  readonly code: 'PRODUCER_UNREACHABLE' | 'PRODUCER_TIMEOUT' | 'PRODUCER_BAD_RESPONSE';
  constructor(status: UpstreamError['status'], code: UpstreamError['code'], message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ProducerClient {
  /** `GET {baseUrl}/ping-what`: the producer's JSON body, or an UpstreamError. */
  ping(): Promise<unknown>;
  close(): void;
}

/**
 * HTTP client for the producer. Keep-alive agents reuse connections across pings; the whole
 * call (connect, wait, body) is bounded by `timeoutMs` through an abort signal, which, unlike
 * axios' socket `timeout`, also bounds a server that trickles its answer.
 */
export function createProducerClient(options: {
  baseUrl: string;
  timeoutMs: number;
}): ProducerClient {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  const client = axios.create({
    baseURL: options.baseUrl,
    httpAgent,
    httpsAgent,
    timeout: options.timeoutMs,
    responseType: 'text',
    // Parse ourselves: axios would hand back garbage as a string instead of failing.
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxRedirects: 0,
    // The producer is a service of the same VPC, found through service discovery: never reached
    // through an HTTP(S)_PROXY of the environment. Also spares axios reading and matching the
    // proxy variables on every request (proxy-from-env, 1.2 % of the consumer's /ping profile).
    proxy: false,
    // The answer is a few bytes; a producer (or an impostor) sending megabytes must not be
    // buffered into this process's memory.
    maxContentLength: 64 * 1024,
    // Set once here, so a call passes nothing but its deadline: axios merges every per-call
    // option into the instance's config on each request.
    headers: { accept: 'application/json' },
  });

  return {
    async ping() {
      let response: Awaited<ReturnType<typeof client.get<string>>>;
      try {
        response = await client.get<string>('/ping-what', {
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw classify(error as AxiosError, options.timeoutMs);
      }
      if (response.status < 200 || response.status >= 300) {
        throw new UpstreamError(
          502,
          'PRODUCER_BAD_RESPONSE',
          `producer answered ${response.status}`,
        );
      }
      try {
        const body: unknown = JSON.parse(response.data);
        if (body === null || typeof body !== 'object') throw new Error('not an object');
        return body;
      } catch {
        throw new UpstreamError(
          502,
          'PRODUCER_BAD_RESPONSE',
          'producer answered with something other than a JSON object',
        );
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function classify(error: AxiosError, timeoutMs: number): UpstreamError {
  const timedOut =
    error.code === 'ECONNABORTED' ||
    error.code === 'ETIMEDOUT' ||
    error.code === 'ERR_CANCELED' ||
    error.name === 'CanceledError';
  if (timedOut) {
    return new UpstreamError(
      504,
      'PRODUCER_TIMEOUT',
      `producer did not answer within ${timeoutMs} ms`,
    );
  }
  return new UpstreamError(
    502,
    'PRODUCER_UNREACHABLE',
    `producer unreachable: ${error.code ?? error.message}`,
  );
}
