import { randomUUID } from 'node:crypto';
import type { RedisClient } from '@kafka-ecs/service-kit';
import type { Logger } from 'pino';
import type { ConsumerMetrics } from '../metrics.ts';
import { createDeadLetterAlerts, type DeadLetterAlerts } from './dead-letter-alerts.ts';
import { createWebhookSender } from './webhook.ts';

export interface WebhookAlertSettings {
  /** ALERT_WEBHOOK_URL: a secret, never logged. */
  webhookUrl: string;
  /** ALERT_MIN_INTERVAL_MS. */
  minIntervalMs: number;
  /** Bound on one POST. @defaultValue 5000 */
  timeoutMs?: number;
}

/**
 * Dead-letter alerts to a Slack-compatible webhook: coalesced and rate-limited, each send counted
 * (`consumer_alerts_total{outcome}`), failures logged without the URL. Nothing here is awaited by
 * consumption: the dead-letter consumer only tells it, and moves on.
 */
export function createWebhookAlerts(
  settings: WebhookAlertSettings,
  deps: { groupId: string; logger: Logger; metrics: ConsumerMetrics; redis: RedisClient },
): DeadLetterAlerts {
  const sender = createWebhookSender({
    url: settings.webhookUrl,
    timeoutMs: settings.timeoutMs ?? 5_000,
  });
  const slotKey = `dead-letters:${deps.groupId}:alert-slot`;
  const taskId = randomUUID();
  const alerts = createDeadLetterAlerts({
    groupId: deps.groupId,
    minIntervalMs: settings.minIntervalMs,
    // One slot per consumer group in Redis: its tasks together alert at most once an interval.
    claimSlot: async (ms) => (await deps.redis.set(slotKey, taskId, 'PX', ms, 'NX')) === 'OK',
    send: async (text) => {
      await sender.send(text);
      deps.metrics.alerts.inc({ outcome: 'sent' });
    },
    onFailure: (error) => {
      deps.metrics.alerts.inc({ outcome: 'failed' });
      // The error's message names the status or network code, never the URL.
      deps.logger.warn(
        { reason: (error as Error).message },
        'dead-letter alert not delivered; it joins the next one',
      );
    },
    onUnsent: ({ count }) =>
      deps.logger.warn(
        { deadLetters: count },
        'dead letters not alerted: stopping within the alert interval',
      ),
  });
  return {
    deadLettered: alerts.deadLettered,
    async close() {
      await alerts.close();
      sender.close();
    },
  };
}
