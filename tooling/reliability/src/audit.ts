import { decodeEvent, EVENT_TOPICS, Topics } from '@kafka-ecs/events';
import { uniqueName, waitFor } from '@kafka-ecs/testing';
import { type Admin, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { type GraphqlResult, graphql } from './graphql.ts';

/** What is on the broker: the event topics (the source of truth) and the dead-letter queue. */
export interface TopicAudit {
  /** new-user-created event ids by user id. */
  userEvents: Map<string, Set<string>>;
  /** issued-token event ids by user id. */
  tokenEvents: Map<string, Set<string>>;
  /** The token id of each issued-token event on the topic. */
  tokenIds: Set<string>;
  /** Records on the event topics (duplicates of one event included). */
  records: number;
  /** Records of the event topics that are not a decodable event. */
  undecodable: number;
  /** Records on the dead-letter queue, and the event ids among them that could be read. */
  deadLetters: number;
  deadLetterEventIds: Set<string>;
  /** Dead letters by their `x-dead-letter-reason` header (`exhausted`, `non-retryable`). */
  deadLetterReasons: Map<string, number>;
}

/** What the consumer's view says, through its GraphQL API: tokensIssued by user id. */
export type ViewAudit = Map<string, number>;

const kafkaOf = (brokers: string[]) =>
  new Kafka({
    brokers,
    clientId: 'reliability-audit',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  });

/** Runs `use` with a connected admin client, disconnected afterwards. */
async function withAdmin<T>(brokers: string[], use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaOf(brokers).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((entry) => [entry.partition, Number(entry.high)]));
}

/**
 * Reads the event topics and the dead-letter queue from the start to their current end, with a
 * group of its own (bounded: a private broker holds only the scenario's events).
 */
export async function readTopics(brokers: string[], timeoutMs = 30_000): Promise<TopicAudit> {
  const topics = [...EVENT_TOPICS, Topics.deadLetter];
  const audit: TopicAudit = {
    userEvents: new Map(),
    tokenEvents: new Map(),
    tokenIds: new Set(),
    records: 0,
    undecodable: 0,
    deadLetters: 0,
    deadLetterEventIds: new Set(),
    deadLetterReasons: new Map(),
  };
  const ends = await withAdmin(brokers, async (admin) => {
    const byTopic = new Map<string, Map<number, number>>();
    for (const topic of topics) byTopic.set(topic, await endOffsets(admin, topic));
    return byTopic;
  });
  const remaining = new Map<string, number>();
  for (const [topic, partitions] of ends) {
    for (const [partition, end] of partitions) {
      if (end > 0) remaining.set(`${topic}:${partition}`, end);
    }
  }
  if (remaining.size === 0) return audit;

  const count = (topic: string, message: KafkaMessage) => {
    if (topic === Topics.deadLetter) {
      audit.deadLetters += 1;
      const id = eventIdOf(message.value);
      if (id) audit.deadLetterEventIds.add(id);
      const reason = String(message.headers?.['x-dead-letter-reason'] ?? 'none');
      audit.deadLetterReasons.set(reason, (audit.deadLetterReasons.get(reason) ?? 0) + 1);
      return;
    }
    audit.records += 1;
    try {
      const event = decodeEvent(message.value);
      if (event.type === 'new-user-created') {
        add(audit.userEvents, event.data.id, event.id);
      } else {
        add(audit.tokenEvents, event.data.userId, event.id);
        audit.tokenIds.add(event.data.tokenId);
      }
    } catch {
      audit.undecodable += 1;
    }
  };

  // Short fetch waits: disconnecting waits for the fetch under way (5 s long-poll by default).
  const consumer = kafkaOf(brokers).consumer({
    groupId: uniqueName('reliability-audit'),
    maxWaitTimeInMs: 100,
  });
  const reached = (topic: string, partition: number, lastOffset: string) => {
    const key = `${topic}:${partition}`;
    const end = remaining.get(key);
    if (end !== undefined && Number(lastOffset) >= end - 1) remaining.delete(key);
  };
  // A fetch that holds only a transaction's commit marker never reaches eachBatch (kafkajs
  // skips batches emptied by filtering), so a partition whose last fetch was one would look
  // unread for ever; kafkajs still reports such a batch, with its last offset, in this event.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
    reached(payload.topic, payload.partition, payload.lastOffset),
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    // By batch, not by message: a partition written in transactions (the dead-letter queue)
    // ends with a commit marker, which is never delivered as a message but counts in the batch's
    // last offset.
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const { topic, partition } = batch;
        const end = remaining.get(`${topic}:${partition}`);
        if (end === undefined) return;
        for (const message of batch.messages) {
          if (Number(message.offset) < end) count(topic, message);
        }
        reached(topic, partition, batch.lastOffset());
      },
    });
    // The partitions left are named once the bound passes: a description is fixed when passed.
    await waitFor(() => remaining.size === 0, {
      timeoutMs,
      intervalMs: 100,
      description: 'the topics read to their end',
    }).catch((error: Error) => {
      throw new Error(`${error.message} (partitions left: ${[...remaining.keys()].join(', ')})`, {
        cause: error,
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return audit;
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}

function eventIdOf(value: Buffer | null): string | undefined {
  try {
    const id = (JSON.parse(String(value)) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until the consumer group has committed everything written to the event topics (so the
 * view is final: offsets are committed only after the view is written), bounded. Returns false
 * when the bound passed first; the figures then show what is missing.
 */
export function waitForCatchUp(
  brokers: string[],
  groupId: string,
  timeoutMs = 30_000,
): Promise<boolean> {
  return withAdmin(brokers, async (admin) => {
    const lag = async () => {
      // One OffsetFetch for every event topic, not one per topic on each poll.
      const committed = await admin.fetchOffsets({ groupId, topics: [...EVENT_TOPICS] });
      let total = 0;
      for (const { topic, partitions } of committed) {
        const ends = await endOffsets(admin, topic);
        for (const { partition, offset } of partitions) {
          total += Math.max(0, (ends.get(partition) ?? 0) - Math.max(0, Number(offset)));
        }
      }
      return total;
    };
    try {
      await waitFor(async () => (await lag()) === 0, {
        timeoutMs,
        intervalMs: 200,
        description: `consumer group ${groupId} caught up`,
      });
      return true;
    } catch {
      return false;
    }
  });
}

/** The committed offsets of a group on the event topics, summed (for "resumes from here"). */
export function committedOffsets(brokers: string[], groupId: string): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const committed = await admin.fetchOffsets({ groupId, topics: [...EVENT_TOPICS] });
    let total = 0;
    for (const { partitions } of committed) {
      for (const { offset } of partitions) total += Math.max(0, Number(offset));
    }
    return total;
  });
}

/** The records on the event topics now (the sum of their end offsets). */
export function publishedRecords(brokers: string[]): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    let total = 0;
    for (const topic of EVENT_TOPICS) {
      for (const end of (await endOffsets(admin, topic)).values()) total += end;
    }
    return total;
  });
}

interface UsersPage {
  users: {
    nodes: { id: string; tokensIssued: number }[];
    pageInfo: { endCursor: string | null; hasNextPage: boolean };
  };
}

/**
 * The view as a reader sees it: every user the consumer lists, with its token count, page by
 * page; then, one by one, the users the topics have and the list did not show.
 */
export async function readView(consumerUrl: string, expectedUserIds: Iterable<string>) {
  const view: ViewAudit = new Map();
  let after: string | null = null;
  for (let page = 0; page < 1_000; page++) {
    const result: GraphqlResult<UsersPage> = await graphql<UsersPage>(
      `${consumerUrl}/graphql`,
      `query ($after: String) { users(first: 100, after: $after) {
        nodes { id tokensIssued } pageInfo { endCursor hasNextPage } } }`,
      { after },
    );
    if (!result.data?.users) {
      throw new Error(
        `reading the view failed: ${JSON.stringify(result.errors ?? result.failure)}`,
      );
    }
    for (const node of result.data.users.nodes) view.set(node.id, node.tokensIssued);
    if (!result.data.users.pageInfo.hasNextPage) break;
    after = result.data.users.pageInfo.endCursor;
  }
  for (const id of expectedUserIds) {
    if (view.has(id)) continue;
    const result = await graphql<{ user: { tokensIssued: number } | null }>(
      `${consumerUrl}/graphql`,
      'query ($id: ID!) { user(id: $id) { tokensIssued } }',
      { id },
    );
    if (result.data?.user) view.set(id, result.data.user.tokensIssued);
  }
  return view;
}

/** How many partitions of the event topics each broker (by node id) leads now. */
export function leadersByNode(brokers: string[]): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const { topics } = await admin.fetchTopicMetadata({ topics: [...EVENT_TOPICS] });
    const counts = new Map<number, number>();
    for (const topic of topics) {
      for (const { leader } of topic.partitions) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    }
    return counts;
  });
}

/** A record written straight to a topic, bypassing the producer (poison records, replays). */
export interface RawRecord {
  topic: string;
  key: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
}

/** Writes records as they are (acks from all in-sync replicas): what no producer would send. */
export async function produceRaw(brokers: string[], records: RawRecord[]): Promise<void> {
  const producer = kafkaOf(brokers).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (const { topic, ...message } of records) {
      await producer.send({ topic, acks: -1, messages: [message] });
    }
  } finally {
    await producer.disconnect();
  }
}
