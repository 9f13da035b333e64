import { randomUUID } from 'node:crypto';
import { SHUTDOWN_DEADLINE_MS } from '@kafka-ecs/service-kit';
import { waitFor } from '@kafka-ecs/testing';
import WebSocket from 'ws';
import { MAX_OPERATIONS_PER_SOCKET } from '../src/entry-points/graphql/graphql-server.ts';
import { SUBSCRIBER_WAITING_MAX } from '../src/entry-points/graphql/subscriber-bound.ts';
import { WS_CONNECTIONS_PER_USER } from '../src/entry-points/graphql/ws-connection-limits.ts';
import {
  createIsolation,
  type Isolation,
  loginToken,
  OPERATOR_TOKEN,
  startTestConsumer,
  type TestConsumer,
} from './support/harness.ts';

type Message = { type: string; id?: string; payload?: unknown };

/**
 * A graphql-ws connection read by hand, so the test can stop reading it as a stalled client
 * would, with a first subscription `id` to userNotification.
 */
async function openSubscription(url: string, id: string) {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Message[] = [];
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
  const subscribe = (subscription: string) =>
    socket.send(
      JSON.stringify({
        id: subscription,
        type: 'subscribe',
        payload: { query: 'subscription { userNotification { id } }' },
      }),
    );
  subscribe(id);
  /** The notifications of user `userId` that subscription `subscription` (or any) received. */
  const heard = (userId: string, subscription?: string) =>
    messages.filter(
      (message) =>
        message.type === 'next' &&
        (subscription === undefined || message.id === subscription) &&
        JSON.stringify(message.payload).includes(`"${userId}"`),
    ).length;
  return { socket, messages, subscribe, heard };
}

/**
 * What becomes of a new connection: acknowledged after its connection_init (then closed by the
 * test), or closed by the server first, with its code and reason.
 */
async function connectionOutcome(
  url: string,
  authorization: string | null = `Bearer ${OPERATOR_TOKEN}`,
): Promise<string> {
  const { outcome, socket } = await connection(url, authorization);
  socket.close();
  return outcome;
}

/** A connection initialised with `authorization` (none when null), left open once acknowledged. */
function connection(
  url: string,
  authorization: string | null,
): Promise<{ outcome: string; socket: WebSocket }> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () =>
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: authorization === null ? {} : { authorization },
        }),
      ),
    );
    socket.on('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') {
        resolve({ outcome: 'acknowledged', socket });
      }
    });
    socket.once('close', (code, reason) =>
      resolve({ outcome: `closed ${code} ${reason}`, socket }),
    );
  });
}

/** A user hash as the apply script publishes it. */
const notification = (userId: string) =>
  JSON.stringify({
    id: userId,
    username: 'subscription-limits',
    email: 'limits@example.com',
    createdAt: '2026-12-05T12:00:00.000Z',
    tokensIssued: '0',
  });

describe('subscription limits', () => {
  let iso: Isolation;
  let instance: TestConsumer;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    iso = await createIsolation();
    instance = await startTestConsumer(iso);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await instance?.close();
  });

  const channel = () => `${iso.viewPrefix}:user-notifications`;
  const listeners = async () =>
    ((await instance.redis.pubsub('NUMSUB', channel())) as [string, number])[1];
  const open = async (id: string) => {
    const opened = await openSubscription(instance.url, id);
    sockets.push(opened.socket);
    return opened;
  };

  it('when a client that reads gets a burst of twice the bound at once, then it receives every notification', async () => {
    const reader = await open('reader');
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the subscription listening',
    });
    const burst = instance.redis.pipeline();
    for (let n = 0; n < 2 * SUBSCRIBER_WAITING_MAX; n += 1) {
      burst.publish(channel(), notification(`burst-${n}`));
    }
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
    const stalled = await open('slow');
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the subscription listening',
    });

    // The client stops reading: its socket's buffers fill, then graphql-ws waits on each send.
    stalled.socket.pause();
    let published = 0;
    await waitFor(
      async () => {
        const round = instance.redis.pipeline();
        for (let i = 0; i < 2_000; i += 1) {
          round.publish(channel(), notification(`slow-${published + i}`));
        }
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
    stalled.socket.resume();
    await waitFor(() => stalled.messages.some((message) => message.type === 'error'), {
      timeoutMs: 30_000,
      description: 'the subscription ended with an error',
    });
    const ended = stalled.messages.find((message) => message.type === 'error');
    expect(ended?.id).toBe('slow');
    expect(ended?.payload).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/fell more than \d+ notifications behind/),
        extensions: { code: 'SUBSCRIBER_BEHIND' },
      }),
    ]);
    const delivered = stalled.messages.filter((message) => message.type === 'next').length;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(published);

    // A new subscription on the same socket is served as before.
    stalled.subscribe('again');
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the new subscription listening',
    });
    const userId = `after-${randomUUID()}`;
    await instance.redis.publish(channel(), notification(userId));
    await waitFor(() => stalled.heard(userId, 'again') === 1, {
      description: 'the new subscription notified',
    });
    stalled.socket.close();
    await waitFor(async () => (await listeners()) === 0, { description: 'the socket gone' });
  }, 120_000);

  it('when a connection opens more subscriptions than one socket may run, then the extra one is refused and the others keep running', async () => {
    const many = await open('op-1');
    for (let n = 2; n <= MAX_OPERATIONS_PER_SOCKET + 1; n += 1) many.subscribe(`op-${n}`);
    await waitFor(() => many.messages.some((message) => message.type === 'error'), {
      description: 'the extra subscription refused',
    });
    expect(many.messages.filter((message) => message.type === 'error')).toEqual([
      {
        id: `op-${MAX_OPERATIONS_PER_SOCKET + 1}`,
        type: 'error',
        payload: [expect.objectContaining({ extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } })],
      },
    ]);

    // The ones running still hear (published until one change reaches all: each starts
    // listening at a moment the test cannot see); once one completes, another may start.
    const published: string[] = [];
    await waitFor(
      async () => {
        const userId = `many-${randomUUID()}`;
        await instance.redis.publish(channel(), notification(userId));
        published.push(userId);
        return published.some((id) => many.heard(id) === MAX_OPERATIONS_PER_SOCKET);
      },
      { description: 'every running subscription notified' },
    );
    many.socket.send(JSON.stringify({ id: 'op-1', type: 'complete' }));
    many.subscribe('after-complete');
    const later = `later-${randomUUID()}`;
    // Published until heard: the new subscription listens from a moment the test cannot see.
    await waitFor(
      async () => {
        await instance.redis.publish(channel(), notification(later));
        return many.heard(later, 'after-complete') > 0;
      },
      { description: 'a subscription started after one completed' },
    );
    many.socket.close();
  }, 60_000);

  it('when something else is published on the notification channel, then it is dropped and subscribers and the instance carry on', async () => {
    const listener = await open('listener');
    await waitFor(async () => (await listeners()) === 1, {
      description: 'the subscription listening',
    });
    // Not JSON, empty, JSON of another shape, a user hash missing its username.
    for (const message of ['hello', '', '5', '[]', '{"id":7}', '{"id":"half-a-user"}']) {
      await instance.redis.publish(channel(), message);
    }
    const after = `after-garbage-${randomUUID()}`;
    await instance.redis.publish(channel(), notification(after));
    await waitFor(() => listener.heard(after, 'listener') === 1, {
      description: 'the notification after the garbage',
    });
    // The first message the subscription got is that one: nothing of the garbage reached it.
    const got = listener.messages.filter((message) => message.id === 'listener');
    expect(got).toHaveLength(1);
    expect(got[0]?.type).toBe('next');
    const ready = await fetch(`${instance.url}/ready`, { signal: AbortSignal.timeout(5_000) });
    expect(ready.status).toBe(200);
    listener.socket.close();
    await waitFor(async () => (await listeners()) === 0, { description: 'the listener gone' });
  });

  it('when more connections open than the process holds, then the extra one is closed with 1013, and a place freed is taken again', async () => {
    const smallIso = await createIsolation();
    const small = await startTestConsumer(smallIso, { wsMaxConnections: 2 });
    try {
      const held = [
        await openSubscription(small.url, 'one'),
        await openSubscription(small.url, 'two'),
      ];
      sockets.push(...held.map((opened) => opened.socket));
      expect(await connectionOutcome(small.url)).toBe(
        'closed 1013 too many connections, try again later',
      );
      // The two held still work (published until heard: they listen from a moment the test
      // cannot see).
      await waitFor(
        async () => {
          await small.redis.publish(
            `${smallIso.viewPrefix}:user-notifications`,
            notification('held'),
          );
          return held.every((opened) => opened.heard('held') > 0);
        },
        { description: 'both held connections notified' },
      );
      held[0]?.socket.close();
      await waitFor(async () => (await connectionOutcome(small.url)) === 'acknowledged', {
        description: 'a connection taken once one closed',
      });
    } finally {
      await small.close();
    }
  }, 60_000);

  it('when connections without a valid token fill their tenth of the places, or one user its few, then the next is closed with 1013 while others are still taken', async () => {
    const smallIso = await createIsolation();
    // 19 places, of which 1 (a tenth, rounded down) for connections without a valid token:
    // room for every connection below, so only the quotas refuse.
    const small = await startTestConsumer(smallIso, { wsMaxConnections: 19 });
    try {
      const tokenless = await connection(small.url, null);
      sockets.push(tokenless.socket);
      expect(tokenless.outcome).toBe('acknowledged');
      const refused = 'closed 1013 too many connections without a token, try again later';
      expect(await connectionOutcome(small.url, null)).toBe(refused);
      expect(await connectionOutcome(small.url, 'Bearer not-a-token')).toBe(refused);
      expect(await connectionOutcome(small.url)).toBe('acknowledged');
      // Its place is freed when it closes.
      tokenless.socket.close();
      await waitFor(async () => (await connectionOutcome(small.url, null)) === 'acknowledged', {
        description: 'a connection without a token taken once the other closed',
      });

      // One user's token holds a few places, not the rest: anyone may sign up.
      const user = `Bearer ${await loginToken(randomUUID())}`;
      const mine = [];
      for (let i = 0; i < WS_CONNECTIONS_PER_USER; i += 1)
        mine.push(await connection(small.url, user));
      sockets.push(...mine.map((opened) => opened.socket));
      expect(mine.map((opened) => opened.outcome)).toEqual(mine.map(() => 'acknowledged'));
      expect(await connectionOutcome(small.url, user)).toBe(
        'closed 1013 too many connections for this user, try again later',
      );
      expect(await connectionOutcome(small.url, `Bearer ${await loginToken(randomUUID())}`)).toBe(
        'acknowledged',
      );

      // A user's connection is closed once its token has expired, which frees its place: one
      // of another user's 5 expires, and a sixth is taken after.
      const other = randomUUID();
      const lasting = `Bearer ${await loginToken(other)}`;
      const soon = new Date(Date.now() + 2_000);
      const expiring = await connection(
        small.url,
        `Bearer ${await loginToken(other, { expiresAt: soon })}`,
      );
      let closed: string | undefined;
      expiring.socket.once('close', (code, reason) => {
        closed = `${code} ${reason}`;
      });
      expect(expiring.outcome).toBe('acknowledged');
      const others = [];
      for (let i = 1; i < WS_CONNECTIONS_PER_USER; i += 1) {
        others.push(await connection(small.url, lasting));
      }
      sockets.push(expiring.socket, ...others.map((opened) => opened.socket));
      expect(others.map((opened) => opened.outcome)).toEqual(others.map(() => 'acknowledged'));
      const sixth = 'closed 1013 too many connections for this user, try again later';
      expect(await connectionOutcome(small.url, lasting)).toBe(sixth);
      await waitFor(() => closed !== undefined, {
        timeoutMs: 15_000,
        description: 'the connection closed after its token expired',
      });
      expect(closed).toBe('4403 the token has expired');
      expect(await connectionOutcome(small.url, lasting)).toBe('acknowledged');
    } finally {
      await small.close();
    }
  }, 60_000);

  it('when a client does not answer the close at shutdown, then the HTTP step does not wait for it past the shutdown deadline', async () => {
    const other = await startTestConsumer(await createIsolation());
    try {
      const stalled = await openSubscription(other.url, 'stalled');
      sockets.push(stalled.socket);
      stalled.socket.pause();
      const http = other.shutdownSteps.find((step) => step.name === 'http');
      const started = Date.now();
      await http?.run();
      // The step that closes the sockets; ws alone waited 30 s for the client's answer.
      expect(http).toBeDefined();
      expect(Date.now() - started).toBeLessThan(SHUTDOWN_DEADLINE_MS / 2);
    } finally {
      await other.close();
    }
  }, 60_000);
});
