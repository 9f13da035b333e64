import { startServiceProcess, uniqueName, waitFor } from '@kafka-ecs/testing';

describe('producer process', () => {
  it('when started, then it answers its liveness routes and exits 0 on SIGTERM', async () => {
    const service = await startServiceProcess({ cwd: `${import.meta.dirname}/..` });
    try {
      const live = await fetch(`${service.url}/producer-svc`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'ok' });
      const pong = await fetch(`${service.url}/producer-svc/ping-what`);
      expect(await pong.json()).toEqual({ ok: 'Pong!' });
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('when /metrics is asked on the public port, then 404; on METRICS_PORT, then Prometheus text', async () => {
    const service = await startServiceProcess({ cwd: `${import.meta.dirname}/..` });
    try {
      expect(new URL(service.metricsUrl).port).not.toBe(new URL(service.url).port);
      const publicAnswer = await fetch(`${service.url}/producer-svc/metrics`);
      expect(publicAnswer.status).toBe(404);
      expect(await publicAnswer.text()).not.toContain('process_');
      const metrics = await fetch(`${service.metricsUrl}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toMatch(/^# HELP producer_events_published_total /m);
      expect(text).toMatch(/^process_resident_memory_bytes \d/m);
      // Only /metrics: the producer's routes are not on this port.
      expect((await fetch(`${service.metricsUrl}/producer-svc/metrics`)).status).toBe(404);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('when SIGTERM arrives during a mutation in production mode, then the mutation completes and the process exits 0 in order', async () => {
    const service = await startServiceProcess({
      cwd: `${import.meta.dirname}/..`,
      // Not `test`: Apollo's own signal handling is on outside tests and must not cut in.
      env: {
        NODE_ENV: 'production',
        TOKEN_SECRET: 'a-production-like-secret-of-32-characters',
        REDIS_KEY_PREFIX: `${uniqueName('producer-process')}:`,
        LOG_LEVEL: 'debug',
      },
    });
    let exit: number | NodeJS.Signals | undefined;
    try {
      await fetch(`${service.url}/producer-svc/ready`);
      const username = uniqueName('proc').toLowerCase();
      const inFlight = fetch(`${service.url}/producer-svc/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { createUser(input: { username: "${username}", email: "p@example.com", password: "12345678" }) { username } }`,
        }),
      });
      // SIGTERM once the server has the request (and is hashing its password, tens of ms).
      await waitFor(() =>
        service.output.some((line) => line.includes('"received"') && line.includes('/graphql')),
      );
      const stopped = service.stop();
      const body = (await (await inFlight).json()) as { data?: { createUser?: unknown } };
      expect(body.data?.createUser).toEqual({ username });
      exit = await stopped;
    } finally {
      exit ??= await service.stop();
    }
    if (exit !== 0) console.log(service.output.slice(-12).join('\n'));
    expect(exit).toBe(0);
    const steps = service.output.filter((line) => line.includes('shutdown step done'));
    expect(steps.map((line) => JSON.parse(line).step)).toEqual(['http', 'kafka', 'redis']);
  });

  it('when REDIS_WAIT_REPLICAS=1 and Redis has no replica, then /ready checks both Redis connections and createUser answers SERVICE_UNAVAILABLE', async () => {
    const service = await startServiceProcess({
      cwd: `${import.meta.dirname}/..`,
      env: { REDIS_WAIT_REPLICAS: '1', REDIS_KEY_PREFIX: `${uniqueName('producer-process')}:` },
    });
    try {
      const ready = async () => fetch(`${service.url}/producer-svc/ready`);
      await waitFor(async () => (await ready()).status === 200, {
        timeoutMs: 10_000,
        description: 'the producer ready',
      });
      expect(await (await ready()).text()).toContain('redis-creations');
      const answer = await fetch(`${service.url}/producer-svc/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: `mutation { createUser(input: { username: "${uniqueName('proc').toLowerCase()}", email: "p@example.com", password: "12345678" }) { username } }`,
        }),
      });
      const body = (await answer.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });

  it('when the configuration is invalid, then it exits 1 with one line naming the variable', async () => {
    await expect(
      startServiceProcess({
        cwd: `${import.meta.dirname}/..`,
        env: { PORT: 'abc' },
        startTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/exited with 1: invalid configuration: PORT: /);
  });

  it('when METRICS_PORT equals PORT, then it exits 1 with one line naming METRICS_PORT', async () => {
    await expect(
      startServiceProcess({
        cwd: `${import.meta.dirname}/..`,
        env: { PORT: '9555', METRICS_PORT: '9555' },
        startTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/exited with 1: invalid configuration: METRICS_PORT: must differ from PORT/);
  });
});
