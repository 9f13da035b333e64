import type { FastifyInstance } from 'fastify';
import { withTimeout } from './with-timeout.ts';

/** A dependency the service needs to do its work; `check` resolves true when it is usable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean> | boolean;
}

const CHECK_TIMEOUT_MS = 1_000;

/**
 * Liveness at `basePath` (the process serves HTTP) and readiness at `basePath/ready` (200 when
 * every check passes, else 503 naming what is down). Each readiness check is bounded, so a hung
 * dependency turns the probe red instead of hanging it. Metrics are not here: they have a server
 * of their own on METRICS_PORT (createMetricsServer), which the load balancer does not forward.
 */
export function registerHealthRoutes(
  app: FastifyInstance,
  options: { basePath: string; service: string; checks: ReadinessCheck[] },
): void {
  const base = options.basePath.replace(/\/$/, '');
  app.get(base || '/', async () => ({ status: 'ok', service: options.service }));

  app.get(`${base}/ready`, async (_request, reply) => {
    const results = await Promise.all(
      options.checks.map(async ({ name, check }) => ({ name, up: await bounded(check) })),
    );
    const down = results.filter((result) => !result.up).map((result) => result.name);
    const checks = Object.fromEntries(
      results.map((result) => [result.name, result.up ? 'up' : 'down']),
    );
    if (down.length > 0) {
      return reply.code(503).send({ status: 'unavailable', down, checks });
    }
    return { status: 'ready', checks };
  });
}

/** A check's answer, false when it fails or has not answered within CHECK_TIMEOUT_MS. */
const bounded = (check: ReadinessCheck['check']): Promise<boolean> =>
  withTimeout(Promise.resolve().then(check), CHECK_TIMEOUT_MS).catch(() => false);
