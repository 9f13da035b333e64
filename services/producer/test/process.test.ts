import { startServiceProcess } from '@kafka-ecs/testing';

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

  it('when the configuration is invalid, then it exits 1 with one line naming the variable', async () => {
    await expect(
      startServiceProcess({
        cwd: `${import.meta.dirname}/..`,
        env: { PORT: 'abc' },
        startTimeoutMs: 10_000,
      }),
    ).rejects.toThrow(/exited with 1: invalid configuration: PORT: /);
  });
});
