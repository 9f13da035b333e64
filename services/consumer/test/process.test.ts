import { startServiceProcess, waitFor } from '@kafka-ecs/testing';
import { createIsolation, probe, processEnv } from './support/harness.ts';

describe('consumer process', () => {
  it('when started, then it answers its liveness route, gets ready, and exits 0 on SIGTERM within 10 s', async () => {
    const iso = await createIsolation();
    const service = await startServiceProcess({
      cwd: `${import.meta.dirname}/..`,
      env: processEnv(iso),
    });
    try {
      const live = await fetch(`${service.url}/`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'ok' });
      await waitFor(async () => (await probe(`${service.url}/ready`)).status === 200, {
        timeoutMs: 20_000,
        description: 'ready (group joined, Redis up)',
      });
    } finally {
      const stopping = Date.now();
      expect(await service.stop()).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(10_000);
    }
  });
});
