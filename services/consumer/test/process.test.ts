import { startServiceProcess } from '@kafka-ecs/testing';

describe('consumer process', () => {
  it('when started, then it answers its liveness route and exits 0 on SIGTERM', async () => {
    const service = await startServiceProcess({ cwd: `${import.meta.dirname}/..` });
    try {
      const live = await fetch(`${service.url}/`);
      expect(live.status).toBe(200);
      expect(await live.json()).toMatchObject({ status: 'ok' });
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
