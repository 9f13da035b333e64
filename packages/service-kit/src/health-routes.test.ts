import Fastify from 'fastify';
import { registerHealthRoutes } from './health-routes.ts';

const build = (checks: Parameters<typeof registerHealthRoutes>[1]['checks']) => {
  const app = Fastify();
  registerHealthRoutes(app, { basePath: '/svc', service: 'svc', checks });
  return app;
};

describe('health routes', () => {
  it('when every check passes, then /ready is 200 and liveness answers', async () => {
    const app = build([{ name: 'kafka', check: () => true }]);
    expect((await app.inject('/svc')).json()).toEqual({ status: 'ok', service: 'svc' });
    const ready = await app.inject('/svc/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { kafka: 'up' } });
  });

  it('when a check fails, throws or hangs, then /ready is 503 naming each within a bound', async () => {
    const app = build([
      { name: 'kafka', check: () => true },
      { name: 'redis', check: () => false },
      {
        name: 'broken',
        check: () => {
          throw new Error('boom');
        },
      },
      { name: 'hung', check: () => new Promise<boolean>(() => {}) },
    ]);
    const started = Date.now();
    const ready = await app.inject('/svc/ready');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      status: 'unavailable',
      down: ['redis', 'broken', 'hung'],
    });
  });

  it('when /metrics is asked on the public app, then 404: metrics have a port of their own', async () => {
    const app = build([]);
    expect((await app.inject('/svc/metrics')).statusCode).toBe(404);
  });
});
