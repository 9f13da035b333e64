import { encodeEvent } from '@kafka-ecs/events';
import {
  connectRawProducer,
  metricValue,
  type RawProducer,
  scrapeMetrics,
  startHttpReceiver,
  waitFor,
} from '@kafka-ecs/testing';
import {
  createIsolation,
  failingHandlers,
  type Isolation,
  startTestConsumer,
  type TestConsumer,
  userCreated,
  viewedUser,
} from './support/harness.ts';

/** A local Slack-style webhook on a path that holds a secret; the texts it was sent. */
async function webhook(status: number | 'hang') {
  const receiver = await startHttpReceiver(status, { path: '/services/T0/B0/secret-path' });
  return {
    ...receiver,
    get texts() {
      return receiver.received.map((entry) => (entry.body as { text: string }).text);
    },
  };
}

/** The consumer's `consumer_alerts_total{outcome}` from its own metrics server. */
const alertCount = async (service: TestConsumer, outcome: 'sent' | 'failed') =>
  metricValue(await scrapeMetrics(service.metricsUrl), 'consumer_alerts_total', { outcome });

describe('dead-letter alerts', () => {
  let iso: Isolation;
  let producer: RawProducer;
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    iso = await createIsolation();
    producer = await connectRawProducer();
    closers.push(() => producer.close());
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function start(status: number | 'hang', minIntervalMs = 60_000) {
    const hook = await webhook(status);
    closers.push(hook.close);
    // Doomed users fail every attempt: dead-lettered after the last retry.
    const service = await startTestConsumer(iso, {
      handlers: failingHandlers('always'),
      alerts: { webhookUrl: hook.url, minIntervalMs, timeoutMs: 1_000 },
    });
    closers.push(() => service.close());
    return { hook, service };
  }

  async function publishUsers(names: string[]) {
    const users = names.map((name) => userCreated({ username: `${name}-${Date.now() % 1e6}` }));
    for (const user of users) {
      await producer.send(iso.userTopic, [{ key: user.data.id, value: encodeEvent(user) }]);
    }
    return users;
  }

  it('when records are dead-lettered, then the webhook is told the count, topic and reason, coalesced within the interval', async () => {
    const { hook, service } = await start(200, 60_000);
    await publishUsers(['doomed-a']);
    await waitFor(() => hook.texts.length === 1, {
      timeoutMs: 20_000,
      description: 'the first alert',
    });
    expect(hook.texts[0]).toBe(
      `:rotating_light: 1 record dead-lettered in consumer group ${iso.groupId}. Topics: ${iso.userTopic} ×1. Reasons: exhausted ×1. See the dead-letter runbook (pnpm dlq list).`,
    );
    // Two more within the minute: counted, not sent until the interval ends.
    const more = await publishUsers(['doomed-b', 'doomed-c', 'fine-d']);
    await waitFor(() => viewedUser(service.url, more[2]?.data.id ?? ''), {
      description: 'the fine user applied',
    });
    await waitFor(async () => ((await service.retry.stats()).deadLettered ?? 0) >= 3, {
      timeoutMs: 20_000,
      description: 'three dead letters indexed',
    });
    expect(hook.texts).toHaveLength(1);
    expect(await alertCount(service, 'sent')).toBe(1);
    expect(JSON.stringify(hook.texts)).not.toContain(more[0]?.data.id);
  });

  it.each([
    ['fails', 500],
    ['hangs', 'hang' as const],
  ])(
    'when the webhook %s, then consumption goes on and the failure is counted',
    async (_, status) => {
      const { hook, service } = await start(status, 200);
      const users = await publishUsers(['doomed-e', 'fine-f', 'fine-g']);
      await waitFor(async () => (await alertCount(service, 'failed')) >= 1, {
        timeoutMs: 20_000,
        description: 'the failed alert counted',
      });
      expect(hook.texts.length).toBeGreaterThanOrEqual(1);
      // The webhook is still failing or hanging: events keep being applied meanwhile.
      const later = await publishUsers(['fine-h']);
      for (const user of [...users.slice(1), ...later]) {
        await waitFor(() => viewedUser(service.url, user.data.id), {
          description: `user ${user.data.username} applied`,
        });
      }
      expect(await alertCount(service, 'sent')).toBe(0);
    },
  );
});
