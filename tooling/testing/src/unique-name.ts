import { randomBytes } from 'node:crypto';

/**
 * A name no other test (in this run or a parallel one) uses: topics, groups, queues, Redis key
 * prefixes. Kafka topic names allow only [a-zA-Z0-9._-], so the result sticks to those.
 */
export function uniqueName(prefix = 'test'): string {
  const safePrefix = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safePrefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}
