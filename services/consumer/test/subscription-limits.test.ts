import { randomUUID } from 'node:crypto';
import { SHUTDOWN_DEADLINE_MS } from '@kafka-ecs/service-kit';
import { waitFor } from '@kafka-ecs/testing';
import WebSocket from 'ws';
import { MAX_OPERATIONS_PER_SOCKET } from '../src/entry-points/graphql/graphql-server.ts';
import { SUBSCRIBER_WAITING_MAX } from '../src/entry-points/graphql/subscriber-bound.ts';
import {
  createIsolation,
  type Isolation,
  OPERATOR_TOKEN,
  startTestConsumer,
  type TestConsumer,
} from './support/harness.ts';

/** A graphql-ws socket read by hand, so the test can stop reading it as a stalled client would. */
async function openSubscription(url: string, id: string) {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: { type: string; id?: string; payload?: unknown }[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.send(
    JSON.stringify({
      type: 'connection_init',
      payload: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    }),
  );
  await waitFor(() => messages.some((message) => message.type === 'connection_ack'), {
    description: 'the connection acknowledged',
  });
  socket.send(
    JSON.stringify({
      id,
      type: 'subscribe',
      payload: { query: 'subscription { userNotification { id username } }' },
    }),
  );
  return { socket, messages };
}

/** A user hash as the apply script publishes it. */
const notification = (n: number) =>
  JSON.stringify({
    id: `slow-${n}`,
    username: `slow-${n}`,
    email: `slow-${n}@example.com`,
    createdAt: '2026-12-05T12:00:00.000Z',
    tokensIssued: '0',
  });

describe('subscription limits', () => {
  let iso: Isolation;
  let instance: TestConsumer;
  let socket: WebSocket | undefined;

  beforeAll(async () => {
    iso = await createIsolation();
    instance = await startTestConsumer(iso);
  });
  afterAll(async () => {
    socket?.terminate();
    await instance?.close();
  });

  const channel = () => `${iso.viewPrefix}:user-notifications`;
  const listeners = async () =>
    ((await instance.redis.pubsub('NUMSUB', channel())) as [string, number])[1];

  it('when a client that reads gets a burst of twice the bound at once, then it receives every notification', async () => {
    const reader = await openSubscription(instance.url, 'reader');
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the subscription listening',
    });
    const burst = instance.redis.pipeline();
    for (let n = 0; n < 2 * SUBSCRIBER_WAITING_MAX; n += 1)
      burst.publish(channel(), notification(n));
    await burst.exec();
    const delivered = () => reader.messages.filter((message) => message.type === 'next').length;
    await waitFor(() => delivered() === 2 * SUBSCRIBER_WAITING_MAX, {
      timeoutMs: 30_000,
      description: 'every notification delivered',
    });
    expect(reader.messages.filter((message) => message.type === 'error')).toEqual([]);
    reader.socket.close();
    await waitFor(async () => (await listeners()) === 0, { description: 'the reader gone' });
  }, 60_000);

  it('when its socket stops taking notifications, then its subscription ends with SUBSCRIBER_BEHIND and the instance keeps serving', async () => {
    const opened = await openSubscription(instance.url, 'slow');
    socket = opened.socket;
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the subscription listening',
    });

    // The client stops reading: its socket's buffers fill, then graphql-ws waits on each send.
    socket.pause();
    let published = 0;
    await waitFor(
      async () => {
        const round = instance.redis.pipeline();
        for (let i = 0; i < 2_000; i += 1) round.publish(channel(), notification(published + i));
        await round.exec();
        published += 2_000;
        // Ended: the instance has no subscriber left on the channel.
        return (await listeners()) === 0;
      },
      { timeoutMs: 60_000, intervalMs: 0, description: 'the stalled subscription ended' },
    );

    // The instance (and its process) is still serving.
    const answer = await fetch(`${instance.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: JSON.stringify({ query: '{ users(first: 1) { totalCount } }' }),
    });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { errors?: unknown }).errors).toBeUndefined();

    // Read again, the client gets what waited, then the reason its subscription ended.
    socket.resume();
    await waitFor(() => opened.messages.some((message) => message.type === 'error'), {
      timeoutMs: 30_000,
      description: 'the subscription ended with an error',
    });
    const ended = opened.messages.find((message) => message.type === 'error');
    expect(ended?.id).toBe('slow');
    expect(ended?.payload).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/fell more than \d+ notifications behind/),
        extensions: { code: 'SUBSCRIBER_BEHIND' },
      }),
    ]);
    const delivered = opened.messages.filter((message) => message.type === 'next').length;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(published);
    // A new subscription on the same socket is served as before.
    socket.send(
      JSON.stringify({
        id: 'again',
        type: 'subscribe',
        payload: { query: 'subscription { userNotification { id } }' },
      }),
    );
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the new subscription listening',
    });
    const id = `after-${randomUUID()}`;
    await instance.redis.publish(channel(), notification(0).replace('slow-0', id));
    await waitFor(
      () =>
        opened.messages.some(
          (message) => message.id === 'again' && JSON.stringify(message.payload).includes(id),
        ),
      { description: 'the new subscription notified' },
    );
  }, 120_000);

  it('when a connection opens more subscriptions than one socket may run, then the extra one is refused and the others keep running', async () => {
    const many = await openSubscription(instance.url, 'one');
    const subscribe = (id: string) =>
      many.socket.send(
        JSON.stringify({
          id,
          type: 'subscribe',
          payload: { query: 'subscription { userNotification { id } }' },
        }),
      );
    for (let n = 2; n <= MAX_OPERATIONS_PER_SOCKET + 1; n += 1) subscribe(`op-${n}`);
    await waitFor(() => many.messages.some((message) => message.type === 'error'), {
      description: 'the extra subscription refused',
    });
    const refused = many.messages.filter((message) => message.type === 'error');
    expect(refused).toEqual([
      {
        id: `op-${MAX_OPERATIONS_PER_SOCKET + 1}`,
        type: 'error',
        payload: [expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })],
      },
    ]);
    // The ones running still hear; once one completes, another may start.
    const id = `many-${randomUUID()}`;
    await instance.redis.publish(channel(), notification(0).replace('slow-0', id));
    await waitFor(
      () =>
        many.messages.filter(
          (message) => message.type === 'next' && JSON.stringify(message.payload).includes(id),
        ).length === MAX_OPERATIONS_PER_SOCKET,
      { description: 'every running subscription notified' },
    );
    many.socket.send(JSON.stringify({ id: 'one', type: 'complete' }));
    subscribe('after-complete');
    const again = `again-${randomUUID()}`;
    await waitFor(
      async () => {
        await instance.redis.publish(channel(), notification(0).replace('slow-0', again));
        return many.messages.some(
          (message) =>
            message.id === 'after-complete' && JSON.stringify(message.payload).includes(again),
        );
      },
      { description: 'a subscription started after one completed' },
    );
    many.socket.close();
  }, 60_000);

  it('when a client does not answer the close at shutdown, then the shutdown does not wait for it past its deadline', async () => {
    const other = await startTestConsumer(await createIsolation());
    const stalled = await openSubscription(other.url, 'stalled');
    stalled.socket.pause();
    const started = Date.now();
    await other.close();
    stalled.socket.terminate();
    // ws alone waited 30 s for the client's answer.
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_DEADLINE_MS);
  }, 60_000);
});
