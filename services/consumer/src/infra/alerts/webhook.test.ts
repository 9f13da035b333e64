import { startHttpReceiver } from '@kafka-ecs/testing';
import { AlertDeliveryError, createWebhookSender } from './webhook.ts';

/** A local webhook receiver on a path that holds a secret, as a Slack webhook's does. */
const receiver = (status: number | 'hang', answer?: string) =>
  startHttpReceiver(status, {
    path: '/services/T0/B0/secret-path-token',
    ...(answer === undefined ? {} : { answer }),
    ...(status === 302 ? { headers: { location: 'http://127.0.0.1:1/' } } : {}),
  });

describe('alert webhook sender', () => {
  const closers: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  const start = async (status: number | 'hang', timeoutMs = 2_000, answer?: string) => {
    const webhook = await receiver(status, answer);
    const sender = createWebhookSender({ url: webhook.url, timeoutMs });
    closers.push(webhook.close, () => sender.close());
    return { webhook, sender };
  };

  it('when the webhook answers 2xx, then it received {"text": …} as JSON on its own path', async () => {
    const { webhook, sender } = await start(200);
    await sender.send('3 records dead-lettered');
    expect(webhook.received).toEqual([
      {
        path: '/services/T0/B0/secret-path-token',
        type: 'application/json',
        body: { text: '3 records dead-lettered' },
      },
    ]);
  });

  it('when the webhook answers 2xx with a large body, then the send succeeds without reading it', async () => {
    const { webhook, sender } = await start(200, 2_000, 'x'.repeat(1 << 20));
    await sender.send('big answer');
    expect(webhook.received).toHaveLength(1);
  });

  it.each([
    [500, 'alert webhook answered 500'],
    [302, 'alert webhook answered 302'],
  ])(
    'when the webhook answers %s, then the send fails saying so and never naming the URL',
    async (status, message) => {
      const { sender } = await start(status);
      const failure = sender.send('x');
      await expect(failure).rejects.toThrow(AlertDeliveryError);
      await expect(failure).rejects.toThrow(message);
    },
  );

  // Without the bound this would hang until jest's own timeout.
  it('when the webhook hangs, then the send fails at its bound without the URL', async () => {
    const { sender } = await start('hang', 300);
    const error = await sender.send('x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect((error as Error).message).toMatch(/^alert webhook unreachable \(/);
    expect((error as Error).message).not.toContain('secret-path-token');
  });

  it('when nothing listens, then the send fails without the URL', async () => {
    const sender = createWebhookSender({
      url: 'http://127.0.0.1:1/services/T0/B0/secret-path-token',
      timeoutMs: 2_000,
    });
    closers.push(() => sender.close());
    const error = (await sender.send('x').catch((caught: unknown) => caught)) as Error;
    expect(error.message).toBe('alert webhook unreachable (ECONNREFUSED)');
  });
});
