import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';

export interface HttpClientLimits {
  /**
   * Longest a client may take to send one whole request, headers and body (not the time the
   * service takes to answer). Past it: 408 and the connection closes. Fastify's default is no
   * bound at all, so a client that trickles its body holds a connection (and a file
   * descriptor) forever. @defaultValue 10_000
   */
  requestTimeoutMs?: number;
  /** Longest a client may take to send its headers (an idle connection too). @defaultValue 10_000 */
  headersTimeoutMs?: number;
}

/**
 * Fastify options that bound slow clients. Node checks the bounds every
 * `connectionsCheckingInterval` (30 s by default, which would let a slow client overstay by that
 * much); here 1 s. Keep-alive between requests stays Fastify's (72 s, above a load balancer's 60 s).
 */
export function httpClientLimits(
  limits: HttpClientLimits = {},
): Pick<FastifyHttpOptions<Server>, 'requestTimeout' | 'http'> {
  const requestTimeout = limits.requestTimeoutMs ?? 10_000;
  const headersTimeout = Math.min(limits.headersTimeoutMs ?? 10_000, requestTimeout);
  return {
    requestTimeout,
    http: { headersTimeout, requestTimeout, connectionsCheckingInterval: 1_000 },
  };
}
