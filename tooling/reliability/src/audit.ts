import { decodeEvent, EVENT_TOPICS, Topics } from '@kafka-ecs/events';
import {
  connectRawProducer,
  followTopics,
  type GraphqlResult,
  graphql,
  type KafkaAdmin,
  type KafkaToolOptions,
  offsetSum,
  type ReadRecord,
  type TestRecord,
  uniqueName,
  waitFor,
  withKafkaAdmin,
} from '@kafka-ecs/testing';
import { readerAuthorization } from './services.ts';

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

const toolOf = (brokers: string[]): KafkaToolOptions => ({
  brokers,
  clientId: 'reliability-audit',
  retries: 5,
});

/** Runs `use` with an admin client on the scenario's brokers, closed afterwards. */
const withAdmin = <T>(brokers: string[], use: (admin: KafkaAdmin) => Promise<T>): Promise<T> =>
  withKafkaAdmin(toolOf(brokers), use);

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
    const byTopic = new Map<string, Map<number, bigint>>();
    for (const topic of topics) byTopic.set(topic, await admin.endOffsets(topic));
    return byTopic;
  });
  if ([...ends.values()].every((partitions) => offsetSum(partitions) === 0n)) return audit;

  const count = (message: ReadRecord) => {
    if (message.topic === Topics.deadLetter) {
      audit.deadLetters += 1;
      const id = eventIdOf(message.value);
      if (id) audit.deadLetterEventIds.add(id);
      const reason = message.headers['x-dead-letter-reason'] ?? 'none';
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

  // Records past the end read above belong to no one's figures (a scenario still writing).
  const reader = await followTopics(
    toolOf(brokers),
    topics,
    (record) => {
      if (BigInt(record.offset) < (ends.get(record.topic)?.get(record.partition) ?? 0n)) {
        count(record);
      }
    },
    { groupId: uniqueName('reliability-audit') },
  );
  const unread = () =>
    [...ends].flatMap(([topic, partitions]) =>
      reader.caughtUp(topic, partitions)
        ? []
        : [...partitions.keys()]
            .filter((p) => (reader.position(topic, p) ?? 0n) < (partitions.get(p) ?? 0n))
            .map((p) => `${topic}:${p}`),
    );
  try {
    // The partitions left are named once the bound passes: a description is fixed when passed.
    await waitFor(() => unread().length === 0, {
      timeoutMs,
      intervalMs: 100,
      description: 'the topics read to their end',
    }).catch((error: Error) => {
      throw new Error(`${error.message} (partitions left: ${unread().join(', ')})`, {
        cause: error,
      });
    });
  } finally {
    await reader.stop();
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
      const committed = await admin.committedOffsets(groupId, EVENT_TOPICS);
      let total = 0n;
      for (const topic of EVENT_TOPICS) {
        for (const [partition, end] of await admin.endOffsets(topic)) {
          const lagging = end - (committed.get(topic)?.get(partition) ?? 0n);
          if (lagging > 0n) total += lagging;
        }
      }
      return total;
    };
    try {
      await waitFor(async () => (await lag()) === 0n, {
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
    const committed = await admin.committedOffsets(groupId, EVENT_TOPICS);
    return Number(
      [...committed.values()].reduce((total, offsets) => total + offsetSum(offsets), 0n),
    );
  });
}

/** The records on the event topics now (the sum of their end offsets). */
export function publishedRecords(brokers: string[]): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    let total = 0n;
    for (const topic of EVENT_TOPICS) total += offsetSum(await admin.endOffsets(topic));
    return Number(total);
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
  // Every user and the list: the suite's operator (consumerEnv gives it to every consumer).
  const asReader = { headers: { authorization: readerAuthorization() } };
  let after: string | null = null;
  for (let page = 0; page < 1_000; page++) {
    const result: GraphqlResult<UsersPage> = await graphql<UsersPage>(
      `${consumerUrl}/graphql`,
      `query ($after: String) { users(first: 100, after: $after) {
        nodes { id tokensIssued } pageInfo { endCursor hasNextPage } } }`,
      { after },
      asReader,
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
      asReader,
    );
    if (result.data?.user) view.set(id, result.data.user.tokensIssued);
  }
  return view;
}

/** How many partitions of the event topics each broker (by node id) leads now. */
export function leadersByNode(brokers: string[]): Promise<Map<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const counts = new Map<number, number>();
    for (const partitions of (await admin.placement([...EVENT_TOPICS])).values()) {
      for (const { leader } of partitions) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    }
    return counts;
  });
}

/** A record written straight to a topic, bypassing the producer (poison records, replays). */
export interface RawRecord extends TestRecord {
  topic: string;
}

/** Writes records as they are (acks from all in-sync replicas): what no producer would send. */
export async function produceRaw(brokers: string[], records: RawRecord[]): Promise<void> {
  const producer = await connectRawProducer({ brokers });
  try {
    for (const { topic, ...record } of records) await producer.send(topic, [record]);
  } finally {
    await producer.close();
  }
}
