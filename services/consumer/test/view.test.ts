import { type DomainEvent, encodeEvent } from '@kafka-ecs/events';
import { connectRawProducer, type RawProducer, waitFor } from '@kafka-ecs/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import {
  counterTotal,
  createIsolation,
  graphql,
  type Isolation,
  OPERATOR_TOKEN,
  probe,
  publish,
  startTestConsumer,
  type TestConsumer,
  tokenIssued,
  USER_FIELDS,
  userCreated,
} from './support/harness.ts';

describe('consumer view', () => {
  let iso: Isolation;
  let service: TestConsumer;
  let producer: RawProducer;

  // What this test started, closed in reverse: a beforeEach that fails halfway closes what it
  // did start, and never an earlier test's (a client left open kept jest from exiting).
  const started: { close(): Promise<void> }[] = [];

  beforeEach(async () => {
    iso = await createIsolation();
    producer = await connectRawProducer();
    started.push(producer);
    service = await startTestConsumer(iso);
    started.push(service);
  });

  afterEach(async () => {
    for (const piece of started.splice(0).reverse()) await piece.close();
  });

  const userById = async (id: string) =>
    (
      await graphql<{ user: Record<string, unknown> | null }>(
        service.url,
        `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`,
        { id },
      )
    ).data?.user;

  it('when events are published to Kafka, then they appear in the view and in a live subscription', async () => {
    const notifications: Record<string, unknown>[] = [];
    const client = createClient({
      url: `${service.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      retryAttempts: 0,
    });
    const unsubscribe = client.subscribe(
      { query: `subscription { userNotification { ${USER_FIELDS} } }` },
      {
        next: (result) =>
          notifications.push(result.data?.userNotification as Record<string, unknown>),
        error: () => {},
        complete: () => {},
      },
    );
    try {
      // The subscription is live once the instance subscribed its Redis channel.
      await waitFor(async () => {
        const [, count] = (await service.redis.pubsub(
          'NUMSUB',
          `${iso.viewPrefix}:user-notifications`,
        )) as [string, number];
        return count > 0;
      });
      const created = userCreated({ firstName: 'Grace', lastName: 'Hopper' });
      const issuedAt = new Date('2026-11-21T10:00:00.000Z');
      await publish(producer, iso, [created]);
      await waitFor(() => userById(created.data.id), { description: 'user in the view' });
      await publish(producer, iso, [tokenIssued(created.data.id, issuedAt)]);

      const expected = {
        id: created.data.id,
        username: created.data.username,
        email: created.data.email,
        firstName: 'Grace',
        lastName: 'Hopper',
        createdAt: created.data.createdAt,
        tokensIssued: 1,
        lastTokenIssuedAt: issuedAt.toISOString(),
      };
      await waitFor(async () => (await userById(created.data.id))?.tokensIssued === 1);
      expect(await userById(created.data.id)).toEqual(expected);
      await waitFor(() => notifications.length >= 2, { description: 'two notifications' });
      expect(notifications[0]).toEqual({ ...expected, tokensIssued: 0, lastTokenIssuedAt: null });
      expect(notifications[1]).toEqual(expected);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });

  it('when an event is delivered twice, then the view changes once', async () => {
    const created = userCreated();
    const token = tokenIssued(created.data.id);
    await publish(producer, iso, [created, token, token, created, token]);
    const marker = tokenIssued(created.data.id, new Date(Date.now() + 60_000));
    await publish(producer, iso, [marker]);
    // Counted once the batch's writes are on the replicas (on a cluster, after readers see them),
    // and the user's duplicate is on the other topic: the count is waited for too.
    await waitFor(
      async () =>
        (await userById(created.data.id))?.lastTokenIssuedAt === marker.data.issuedAt &&
        (await counterTotal(service.metrics.eventsDuplicate)) >= 3,
    );
    expect(await userById(created.data.id)).toMatchObject({ tokensIssued: 2 });
    expect(await counterTotal(service.metrics.eventsDuplicate)).toBe(3);
  });

  it("when one user's events interleave with many others', then they are applied in publish order", async () => {
    const target = userCreated();
    const others = Array.from({ length: 200 }, () => userCreated());
    const start = Date.UTC(2026, 5, 1);
    const targetTokens = Array.from({ length: 40 }, (_, i) =>
      tokenIssued(target.data.id, new Date(start + i * 1000)),
    );
    const events: DomainEvent[] = [target, ...others];
    others.forEach((other, i) => {
      events.push(tokenIssued(other.data.id));
      if (i % 5 === 0 && targetTokens[i / 5]) events.push(targetTokens[i / 5] as DomainEvent);
    });
    // Watch the notifications the apply script publishes, in apply order.
    const seen: { tokensIssued: string; lastTokenIssuedAt: string }[] = [];
    const listener = service.redis.duplicate();
    await listener.subscribe(`${iso.viewPrefix}:user-notifications`);
    listener.on('message', (_channel, message) => {
      const view = JSON.parse(message);
      if (view.id === target.data.id && view.lastTokenIssuedAt) seen.push(view);
    });
    try {
      await publish(producer, iso, [target]);
      await waitFor(() => userById(target.data.id));
      for (let i = 0; i < events.length; i += 50)
        await publish(producer, iso, events.slice(i + 1, i + 51));
      await waitFor(() => seen.length >= targetTokens.length, { timeoutMs: 20_000 });
      // Were any applied out of order, the latest issue time would run ahead of the count.
      seen.forEach((view, i) => {
        expect(view).toMatchObject({
          tokensIssued: String(i + 1),
          lastTokenIssuedAt: targetTokens[i]?.data.issuedAt,
        });
      });
      await waitFor(async () => {
        const { data } = await graphql<{ users: { totalCount: number } }>(
          service.url,
          '{ users { totalCount } }',
        );
        return data?.users.totalCount === others.length + 1;
      });
    } finally {
      listener.disconnect();
    }
  });

  it('when users are paged through, then every user comes once in a stable order, and bad arguments are BAD_USER_INPUT', async () => {
    const users = Array.from({ length: 7 }, () => userCreated());
    await publish(producer, iso, users);
    const page = (after: string | null) =>
      graphql<{
        users: {
          totalCount: number;
          nodes: { id: string }[];
          pageInfo: { endCursor: string | null; hasNextPage: boolean };
        };
      }>(
        service.url,
        'query($after: String) { users(first: 3, after: $after) { totalCount nodes { id } pageInfo { endCursor hasNextPage } } }',
        { after },
      );
    await waitFor(async () => (await page(null)).data?.users.totalCount === 7);
    const ids: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const { data } = await page(after);
      ids.push(...(data?.users.nodes.map((node) => node.id) ?? []));
      if (!data?.users.pageInfo.hasNextPage) break;
      after = data.users.pageInfo.endCursor;
    }
    expect(ids).toEqual(users.map((user) => user.data.id));

    for (const [args, argumentName] of [
      ['first: 0', 'first'],
      ['first: 101', 'first'],
      ['after: "not-a-cursor!"', 'after'],
      ['after: "Zm9v"', 'after'],
    ]) {
      const { errors } = await graphql(service.url, `{ users(${args}) { totalCount } }`);
      expect(errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argumentName } });
    }
  });

  it('when records are not JSON, fail their schema or have an unknown type, then they are counted and the partition moves on', async () => {
    const victim = userCreated();
    const valid = JSON.parse(encodeEvent(victim).toString());
    const key = victim.data.id;
    await producer.send(iso.userTopic, [
      { key, value: '{not json' },
      { key, value: JSON.stringify({ ...valid, data: { ...valid.data, email: 'nope' } }) },
      { key, value: JSON.stringify({ ...valid, type: 'user-deleted' }) },
      { key, value: encodeEvent(victim) },
    ]);
    // Failures are counted after the batch's writes reach the replicas (on a cluster, after
    // readers can see them).
    await waitFor(
      async () =>
        Boolean(await userById(victim.data.id)) &&
        (await counterTotal(service.metrics.recordFailures)) >= 3,
      { description: 'the valid record after the bad ones, and the bad ones counted' },
    );
    const failures = await service.metrics.recordFailures.get();
    expect(Object.fromEntries(failures.values.map((v) => [v.labels.reason, v.value]))).toEqual({
      'malformed-json': 1,
      'invalid-data': 1,
      'unknown-type': 1,
    });
    const metrics = await (await fetch(`${service.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /consumer_record_failures_total\{topic="[^"]+",reason="malformed-json"\} 1/,
    );
    expect(metrics).toMatch(/consumer_events_applied_total\{type="new-user-created"\} 1/);
    expect(metrics).toMatch(/consumer_batch_duration_seconds_count/);
    await waitFor(async () =>
      /consumer_lag\{topic="[^"]+",partition="\d+"\} 0/.test(
        await (await probe(`${service.metricsUrl}/metrics`)).text(),
      ),
    );
  });

  it('when /metrics is asked on the public port, then 404; on METRICS_PORT, then Prometheus text', async () => {
    expect(new URL(service.metricsUrl).port).not.toBe(new URL(service.url).port);
    const publicAnswer = await probe(`${service.url}/metrics`);
    expect(publicAnswer.status).toBe(404);
    expect(await publicAnswer.text()).not.toContain('consumer_');
    const metrics = await probe(`${service.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^# HELP consumer_events_applied_total /m);
    // The metrics server answers nothing else: its port exposes no GraphQL or readiness.
    expect((await probe(`${service.metricsUrl}/ready`)).status).toBe(404);
  });

  it('when the group has joined and Redis answers, then /ready is 200', async () => {
    await waitFor(async () => (await probe(`${service.url}/ready`)).status === 200, {
      description: 'ready',
    });
    expect(service.consumer.assignment()).toEqual({
      [iso.userTopic]: [0, 1, 2, 3, 4, 5, 6, 7],
      [iso.tokenTopic]: [0, 1, 2, 3, 4, 5, 6, 7],
    });
  });
});
