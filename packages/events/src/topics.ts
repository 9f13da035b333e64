/** The topics of the system (see shared/contract.md). Nothing else spells these names. */
export const Topics = {
  newUserCreated: 'new-user-created',
  issuedToken: 'issued-token',
  retry: 'side-topic-for-retry',
  deadLetter: 'dead-letter-queue',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** Topics that carry events (as opposed to the retry and dead-letter plumbing). */
export const EVENT_TOPICS = [Topics.newUserCreated, Topics.issuedToken] as const;

export const DEFAULT_PARTITIONS = 8;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Per-topic configuration the services and the local stack create topics with. The retry and
 * dead-letter topics keep records far longer than the longest retry delay (1 h by default), so
 * no pending retry or uninspected dead letter is ever deleted by retention.
 */
export const TOPIC_CONFIG: Record<TopicName, Record<string, string>> = {
  [Topics.newUserCreated]: {},
  [Topics.issuedToken]: {},
  [Topics.retry]: { 'retention.ms': String(7 * DAY_MS) },
  [Topics.deadLetter]: { 'retention.ms': String(30 * DAY_MS) },
};
