import { randomUUID } from 'node:crypto';
import {
  Admin,
  type Consumer,
  compatibilityPartitioner,
  FindCoordinatorKeyTypes,
  type Message,
  type MessageToProduce,
  Producer,
} from '@platformatic/kafka';
import type { Logger } from '../logger.ts';
import { createTransactionQueue, offsetsByGroup, type Pending } from '../transaction-queue.ts';
import type {
  GroupMember,
  OffsetCommit,
  TransactionalProducer,
  TransactionalProducerOptions,
} from '../transactional-producer.ts';
import { type PlatformaticClientOptions, platformaticBaseOptions } from './client.ts';
import { toHeaders } from './publisher.ts';

/**
 * The transactional producer on @platformatic/kafka. Unlike kafkajs it sends the reading
 * member's generation with the offsets (KIP-447), so a batch read before a rebalance cannot
 * commit its offsets after it: the broker refuses, the transaction aborts, nothing is visible.
 */
export function createPlatformaticTransactionalProducer(
  options: TransactionalProducerOptions & { client: PlatformaticClientOptions; logger: Logger },
): TransactionalProducer {
  const { logger } = options;
  const timeoutMs = options.transactionTimeoutMs ?? 10_000;
  // A producer whose transaction failed is replaced, not reused, as with kafkajs: a fresh
  // producer id (and transactional id) starts every sequence clean.
  const newProducer = () =>
    new Producer({
      ...platformaticBaseOptions({ ...options.client, requestTimeoutMs: timeoutMs }),
      idempotent: true,
      transactionalId: `${options.idPrefix}.${randomUUID()}`,
      partitioner: compatibilityPartitioner,
    });
  let current: Producer | undefined;
  // The broker coordinating each group's offsets, looked up when first needed and again after a
  // failed transaction: the coordinator moves when its broker goes, and the one a consumer saw
  // when it fetched a batch may be unknown or gone by the time the batch fails.
  let admin: Admin | undefined;
  const coordinators = new Map<string, number>();
  const coordinatorOf = async (groupId: string): Promise<number> => {
    const known = coordinators.get(groupId);
    if (known !== undefined) return known;
    admin ??= new Admin(platformaticBaseOptions(options.client));
    const [coordinator] = await admin.findCoordinator({
      keyType: FindCoordinatorKeyTypes.GROUP,
      keys: [groupId],
    });
    if (!coordinator || coordinator.nodeId < 0)
      throw new Error(`no coordinator for group ${groupId}`);
    coordinators.set(groupId, coordinator.nodeId);
    return coordinator.nodeId;
  };
  // A commit that names no member (a caller outside a consumer group) goes with generation -1
  // and no member id: the broker commits without a membership check, as the Java client does
  // for a bare group id.
  const consumerOf = async (commit: OffsetCommit): Promise<ConsumerMetadata> => ({
    groupId: commit.groupId,
    ...(commit.member ?? { memberId: '', generationId: -1 }),
    coordinatorId: await coordinatorOf(commit.groupId),
  });

  const runTransaction = async (entries: Pending[]) => {
    current ??= newProducer();
    const producer = current;
    let transaction: Awaited<ReturnType<Producer['beginTransaction']>> | undefined;
    try {
      transaction = await producer.beginTransaction();
      const messages: MessageToProduce[] = entries.flatMap(({ records }) =>
        records.map((record) => ({
          topic: record.topic,
          ...(record.key ? { key: record.key } : {}),
          ...(record.value ? { value: record.value } : {}),
          headers: toHeaders(record.headers),
        })),
      );
      if (messages.length > 0) await transaction.send({ messages });
      for (const [groupId, commits] of offsetsByGroup(entries)) {
        // The library takes the group from a consumer and the position from a consumed message;
        // both are rebuilt from the commit, which carries what the broker checks.
        await transaction.addConsumer({ groupId } as Consumer);
        for (const commit of commits) {
          await transaction.addOffset(asConsumedMessage(commit, await consumerOf(commit)));
        }
      }
      options.beforeCommit?.(entries.flatMap((entry) => entry.records));
      await transaction.commit();
    } catch (error) {
      await transaction?.abort().catch((abortError: unknown) => {
        logger.warn({ err: abortError }, 'could not abort the transaction; the broker will');
      });
      current = undefined;
      coordinators.clear();
      await producer.close().catch(() => {});
      throw error;
    }
  };

  const queue = createTransactionQueue(runTransaction);
  return {
    send: queue.send,
    async start() {
      current ??= newProducer();
      await current.metadata({ topics: [] });
    },
    async stop() {
      await queue.idle();
      const open = current;
      current = undefined;
      await Promise.all([open?.close(), admin?.close()]);
      admin = undefined;
    },
  };
}

/** What addOffset reads from a consumed message's metadata: the group, member and coordinator. */
interface ConsumerMetadata extends GroupMember {
  groupId: string;
  coordinatorId: number;
}

// addOffset commits `offset + 1` of the message it is given, sent to the coordinator in its
// metadata with the member's id and generation.
function asConsumedMessage(commit: OffsetCommit, consumer: ConsumerMetadata): Message {
  return {
    topic: commit.topic,
    partition: commit.partition,
    offset: BigInt(commit.offset) - 1n,
    metadata: { consumer },
  } as unknown as Message;
}
