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
const MAX_RECORD_BYTES = 10 * 1024 * 1024;

/**
 * Per-topic configuration the services and the local stack create topics with. Event topics are
 * kept forever (a rebuild of the view reads them from the beginning; compaction is no option, as
 * a user's later events must not replace its first). The retry and
 * dead-letter topics keep records far longer than the longest retry delay (1 h by default), so
 * no pending retry or uninspected dead letter is ever deleted by retention.
 */
export const TOPIC_CONFIG: Record<TopicName, Record<string, string>> = {
  // The source of truth: the consumer's view is rebuilt from these, so they keep every event.
  [Topics.newUserCreated]: { 'retention.ms': '-1', 'retention.bytes': '-1' },
  [Topics.issuedToken]: { 'retention.ms': '-1', 'retention.bytes': '-1' },
  // Up to 10 MiB per record: whatever an event topic accepted must fit on its way to the
  // dead-letter queue, or one oversized record would hold its partition forever.
  [Topics.retry]: {
    'retention.ms': String(7 * DAY_MS),
    'max.message.bytes': String(MAX_RECORD_BYTES),
  },
  [Topics.deadLetter]: {
    'retention.ms': String(30 * DAY_MS),
    'max.message.bytes': String(MAX_RECORD_BYTES),
  },
};
