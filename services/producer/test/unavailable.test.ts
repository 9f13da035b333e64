import { freePort, startTcpProxy, testInfrastructure, waitFor } from '@kafka-ecs/testing';
import { CREATE_USER, codeOf, LOGIN, newUser, startTestProducer } from './support/harness.ts';

const readiness = async (url: string) => {
  const response = await fetch(`${url}/ready`);
  return { status: response.status, body: (await response.json()) as { down?: string[] } };
};

describe('when Kafka or Redis is down', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('when no broker answers, then createUser is SERVICE_UNAVAILABLE within the bound, leaves no user behind, and /ready names Kafka', async () => {
    const producer = await startTestProducer({
      kafkaBrokers: [`127.0.0.1:${await freePort()}`],
    });
    cleanups.push(() => producer.close());
    const input = newUser();
    const started = Date.now();
    const { body } = await producer.graphql(CREATE_USER, { input });
    expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(4_000);
    // Consistency: the reservation was released, nothing of the user is left in Redis.
    expect(await producer.redis.keys(`${producer.keyPrefix}*`)).toEqual([]);

    const ready = await readiness(producer.url);
    expect(ready.status).toBe(503);
    expect(ready.body.down).toEqual(['kafka-producer']);
  });

  it('when Redis does not answer, then mutations are SERVICE_UNAVAILABLE at once and /ready names Redis', async () => {
    const producer = await startTestProducer({
      redisUrl: `redis://127.0.0.1:${await freePort()}`,
    });
    cleanups.push(() => producer.close());
    for (const [query, variables] of [
      [CREATE_USER, { input: newUser() }],
      [LOGIN, { username: 'someone', password: 'whatever1' }],
    ] as const) {
      const started = Date.now();
      const { body } = await producer.graphql(query, variables);
      expect(codeOf(body)).toBe('SERVICE_UNAVAILABLE');
      expect(Date.now() - started).toBeLessThan(3_000);
    }
    const ready = await readiness(producer.url);
    expect(ready.status).toBe(503);
    expect(ready.body.down).toEqual(['redis', 'redis-creations']);
  });

  it('when the broker comes back, then the running service recovers by itself', async () => {
    // Down from the start: the proxy's port answers nothing until restore().
    const proxy = await startTcpProxy({
      target: testInfrastructure().kafkaBrokers[0] ?? '',
      listening: false,
    });
    cleanups.push(() => proxy.close());
    const producer = await startTestProducer({ kafkaBrokers: [proxy.address] });
    cleanups.push(() => producer.close());

    const down = await producer.graphql(CREATE_USER, { input: newUser() });
    expect(codeOf(down.body)).toBe('SERVICE_UNAVAILABLE');
    expect((await readiness(producer.url)).status).toBe(503);

    await proxy.restore();
    await waitFor(async () => (await readiness(producer.url)).status === 200, {
      timeoutMs: 15_000,
      description: '/ready 200 after the broker came back',
    });
    const input = newUser();
    const up = await waitFor(
      async () => {
        const { body } = await producer.graphql(CREATE_USER, { input });
        return body.errors ? undefined : body;
      },
      { timeoutMs: 15_000, description: 'createUser succeeding again' },
    );
    expect(up.data.createUser.username).toBe(input.username);
  }, 45_000);

  it('when Redis comes back, then the running service recovers by itself', async () => {
    const redisUrl = new URL(testInfrastructure().redisUrl);
    const proxy = await startTcpProxy({
      target: { host: redisUrl.hostname, port: +(redisUrl.port || 6379) },
      listening: false,
    });
    cleanups.push(() => proxy.close());
    const producer = await startTestProducer({ redisUrl: `redis://${proxy.address}` });
    cleanups.push(() => producer.close());

    expect(codeOf((await producer.graphql(CREATE_USER, { input: newUser() })).body)).toBe(
      'SERVICE_UNAVAILABLE',
    );
    await proxy.restore();
    await waitFor(async () => (await readiness(producer.url)).status === 200, {
      timeoutMs: 15_000,
      description: '/ready 200 after Redis came back',
    });
    const { body } = await producer.graphql(CREATE_USER, { input: newUser() });
    expect(body.errors).toBeUndefined();

    // And down again while running: bounded failure, then /ready turns 503.
    await proxy.cut();
    const started = Date.now();
    const again = await producer.graphql(CREATE_USER, { input: newUser() });
    expect(codeOf(again.body)).toBe('SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await readiness(producer.url)).status).toBe(503);
  }, 45_000);
});
