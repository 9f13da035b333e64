import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { KafkaEcsError } from '@kafka-ecs/errors';
import axios from 'axios';

/**
 * A webhook that did not take the alert. Its message never holds the URL: a Slack webhook's
 * path is its credential, and this error is logged.
 */
export class AlertDeliveryError extends KafkaEcsError {}

/**
 * POSTs `{"text": …}` to a Slack-compatible incoming webhook. The whole call is bounded by
 * `timeoutMs` (an abort signal also bounds a server that trickles its answer); any status other
 * than 2xx, a redirect included, is a failure.
 */
export function createWebhookSender(options: { url: string; timeoutMs: number }) {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 2 });
  const client = axios.create({
    httpAgent,
    httpsAgent,
    timeout: options.timeoutMs,
    maxRedirects: 0,
    // Only the status matters: the body is never read (a large one is no failure).
    responseType: 'stream',
    validateStatus: () => true,
  });
  return {
    async send(text: string): Promise<void> {
      let status: number;
      try {
        const response = await client.post<Readable>(
          options.url,
          { text },
          { signal: AbortSignal.timeout(options.timeoutMs) },
        );
        status = response.status;
        response.data.destroy();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new AlertDeliveryError(
          `alert webhook unreachable (${typeof code === 'string' ? code : 'no answer'})`,
        );
      }
      if (status < 200 || status >= 300) {
        throw new AlertDeliveryError(`alert webhook answered ${status}`);
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
