import { createRedisConnection } from '@kafka-ecs/service-kit';
import { type TcpProxy, testInfrastructure, uniqueName, waitFor } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import {
  notificationSubscriber,
  SUBSCRIBER_REDIS_OPTIONS,
} from '../src/infra/notification-subscriber.ts';
import { capturingLogger, startRedisProxy } from './support/harness.ts';

// graphql-yoga's Redis event target never handles a SUBSCRIBE's promise: during a Redis outage
// a refused one would end the process. The consumer hands it this wrapper instead.
describe('the notification subscriber during a Redis outage', () => {
  let proxy: TcpProxy;
  const clients: Redis[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await proxy?.close();
  });

  it('when channels are subscribed before and during an outage, then nothing rejects, the refusal is logged, and both channels deliver once Redis is back', async () => {
    proxy = await startRedisProxy();
    const { logger, lines: logged } = capturingLogger<{ msg: string; channel?: string }>();
    const raw = createRedisConnection(
      { url: `redis://${proxy.address}`, cluster: false },
      SUBSCRIBER_REDIS_OPTIONS,
    ) as Redis;
    raw.on('error', () => {});
    clients.push(raw);
    const subscriber = notificationSubscriber(raw, logger);
    const received = new Set<string>();
    subscriber.on('message', (channel: string) => received.add(channel));
    await waitFor(() => raw.status === 'ready', { timeoutMs: 5_000, description: 'connected' });
    const before = uniqueName('before');
    await subscriber.subscribe(before);

    await proxy.cut();
    await waitFor(() => raw.status !== 'ready', { timeoutMs: 5_000, description: 'Redis lost' });
    // The premise: the client's own SUBSCRIBE is refused once it gives up on the command.
    await expect(raw.subscribe(uniqueName('unwrapped'))).rejects.toThrow();
    const during = uniqueName('during');
    await expect(subscriber.subscribe(during)).resolves.toBeUndefined();
    expect(logged.some((line) => line.channel === during && /not subscribed/.test(line.msg))).toBe(
      true,
    );
    await expect(subscriber.unsubscribe(uniqueName('never-subscribed'))).resolves.toBeUndefined();

    await proxy.restore();
    const publisher = new Redis(testInfrastructure().redisUrl);
    clients.push(publisher);
    // The reconnected connection is subscribed to nothing by itself (no auto re-subscribe):
    // both channels deliver only because the wrapper subscribed them again.
    await waitFor(
      async () => {
        for (const channel of [before, during]) await publisher.publish(channel, 'hello');
        return received.has(before) && received.has(during);
      },
      { timeoutMs: 15_000, description: 'both channels delivering again' },
    );
  });
});
