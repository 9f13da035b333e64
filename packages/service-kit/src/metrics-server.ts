import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type HttpClientLimits, httpClientLimits } from './http-limits.ts';
import { withTimeout } from './with-timeout.ts';

export const METRICS_PATH = '/metrics';

export interface MetricsServerOptions {
  /** The service's registry: what `GET /metrics` renders. */
  registry: Pick<Registry, 'metrics' | 'contentType'>;
  logger: Pick<Logger, 'warn'>;
  /**
   * Longest one scrape may take to render; past it 503. A collect callback that waits on a
   * broker in an outage (consumer lag) must not hold the scraper's connection open.
   * @defaultValue 5_000
   */
  renderTimeoutMs?: number;
  /** The public app's slow-client bounds. @defaultValue httpClientLimits()'s */
  limits?: HttpClientLimits;
}

export interface MetricsServer {
  /** Listens (port 0 = any free port) and resolves with `http://host:port`. */
  listen(options: { host: string; port: number }): Promise<string>;
  /** Stops accepting, lets a scrape in flight finish, then closes; harmless if not listening. */
  close(): Promise<void>;
}

/**
 * A server of its own for Prometheus: `GET /metrics` and nothing else (404), on METRICS_PORT. It
 * listens on 0.0.0.0 like the public app so a sidecar or an in-VPC scraper can reach the task,
 * yet it is not public on ECS: the load balancer forwards only PORT. Plain node:http rather than
 * a second Fastify: one route needs no router, and the public app's client limits apply as is.
 */
export function createMetricsServer(options: MetricsServerOptions): MetricsServer {
  const { registry, logger, renderTimeoutMs = 5_000 } = options;
  let closing = false;
  // The public app's bounds on slow clients (headers, whole request, how often both are checked).
  const server = createServer({ ...httpClientLimits(options.limits).http }, (request, response) => {
    void answer(request, response);
  });

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== METRICS_PATH || request.method !== 'GET') {
      send(response, 404, 'application/json; charset=utf-8', '{"error":"not found"}');
      return;
    }
    try {
      const text = await withTimeout(
        registry.metrics(),
        renderTimeoutMs,
        `rendering took longer than ${renderTimeoutMs} ms`,
      );
      send(response, 200, registry.contentType, text);
    } catch (error) {
      logger.warn({ err: error }, 'metrics could not be rendered');
      send(response, 503, 'text/plain; charset=utf-8', 'metrics unavailable\n');
    }
  }

  function send(response: ServerResponse, status: number, type: string, body: string): void {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      // Decided as the answer leaves, not as the request came: a keep-alive scraper whose scrape
      // was in flight when the close began would otherwise hold the server open.
      ...(closing ? { connection: 'close' } : {}),
    });
    response.end(body);
  }

  return {
    async listen({ host, port }) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shown}:${address.port}`;
    },
    async close() {
      if (!server.listening) return;
      closing = true;
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeIdleConnections();
      await closed;
    },
  };
}
