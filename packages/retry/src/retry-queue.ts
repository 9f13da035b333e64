import { Queue, Worker } from 'bullmq';
import type { SourceRecord } from './failure-chain.ts';
import type { Logger } from './logger.ts';
import type { RedisClient } from './redis-client.ts';

/** A side-topic record as a job carries it (bytes as base64: job data is JSON). */
export interface RetryJobData {
  /** The chain's attempt-count key. */
  stateKey: string;
  record: {
    topic: string;
    partition: number;
    offset: string;
    key: string | null;
    value: string | null;
    headers: Record<string, string>;
  };
}

export function serializeRecord(record: SourceRecord): RetryJobData['record'] {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key?.toString('base64') ?? null,
    value: record.value?.toString('base64') ?? null,
    headers: record.headers,
  };
}

export function deserializeRecord(data: RetryJobData['record']): SourceRecord {
  return {
    ...data,
    key: data.key === null ? null : Buffer.from(data.key, 'base64'),
    value: data.value === null ? null : Buffer.from(data.value, 'base64'),
  };
}

export interface ScheduledRetry {
  /** Deterministic per (chain, attempt): scheduling the same retry twice adds one job. */
  id: string;
  delayMs: number;
  data: RetryJobData;
}

export interface RetryQueue {
  schedule(retries: ScheduledRetry[]): Promise<void>;
  /** Retries waiting for their delay or running now. */
  pending(): Promise<number>;
  /** Jobs that gave up on infrastructure failures: they need an operator (runbook). */
  failed(): Promise<number>;
  close(): Promise<void>;
}

export interface RetryWorker {
  close(): Promise<void>;
}

/**
 * A job fails (and BullMQ runs it again) only when infrastructure did: Redis or Kafka was down
 * while the record was re-run or its outcome written. The handler's own failures are outcomes,
 * not job failures. So jobs retry for hours with a capped backoff rather than give up early;
 * a job that still fails stays in BullMQ's failed set for an operator (docs/runbooks).
 */
const JOB_ATTEMPTS = 1_000;
const JOB_BACKOFF_CAP_MS = 30_000;

export function createRetryQueue(deps: {
  connection: RedisClient;
  name: string;
  logger: Logger;
}): RetryQueue {
  const queue = new Queue<RetryJobData>(deps.name, {
    connection: deps.connection,
    defaultJobOptions: {
      attempts: JOB_ATTEMPTS,
      backoff: { type: 'capped-exponential' },
      removeOnComplete: true,
      // Kept until an operator re-drives it (runbook): a job that gave up still holds a record.
      removeOnFail: false,
    },
  });
  // Without a listener BullMQ writes each connection error to stderr with console.error. The
  // connection is the caller's client, whose own listener already logs them: debug level here.
  queue.on('error', (error) => deps.logger.debug({ err: error }, 'retry queue error (Redis)'));
  return {
    async schedule(retries) {
      if (retries.length === 0) return;
      await queue.addBulk(
        retries.map(({ id, delayMs, data }) => ({
          name: 'retry',
          data,
          opts: { jobId: id, delay: delayMs },
        })),
      );
    },
    async pending() {
      return queue.getJobCountByTypes('delayed', 'waiting', 'active', 'prioritized');
    },
    async failed() {
      return queue.getJobCountByTypes('failed');
    },
    async close() {
      await queue.close();
    },
  };
}

/**
 * Runs retry jobs. `connection` must be a client of its own with `maxRetriesPerRequest: null`
 * (BullMQ's blocking commands wait indefinitely by design).
 */
export function startRetryWorker(deps: {
  connection: RedisClient;
  name: string;
  concurrency: number;
  /** How long a job stays claimed; a crashed worker's job runs again after it. */
  lockMs: number;
  logger: Logger;
  process: (data: RetryJobData) => Promise<void>;
  /** A job failed because of infrastructure and will be run again (for metrics). */
  onJobFailed?: (error: Error) => void;
}): RetryWorker {
  const { logger } = deps;
  const worker = new Worker<RetryJobData>(deps.name, (job) => deps.process(job.data), {
    connection: deps.connection,
    concurrency: deps.concurrency,
    lockDuration: deps.lockMs,
    // Stalled jobs (their worker died) are looked for as often as a lock can expire, and run
    // again however often that happens (BullMQ's default fails a job stalled twice).
    stalledInterval: deps.lockMs,
    maxStalledCount: JOB_ATTEMPTS,
    settings: {
      backoffStrategy: (attemptsMade: number) =>
        Math.min(JOB_BACKOFF_CAP_MS, 500 * 2 ** Math.min(attemptsMade, 16)),
    },
  });
  // Without a listener an 'error' event would crash the process on a Redis hiccup.
  worker.on('error', (error) => {
    logger.warn({ err: error }, 'retry worker error (Redis); it reconnects by itself');
    deps.onJobFailed?.(error);
  });
  worker.on('failed', (job, error) => {
    const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
    const context = { err: error, jobId: job?.id, attemptsMade: job?.attemptsMade };
    if (final) {
      logger.error(context, 'retry job gave up on infrastructure; it waits in the failed set');
    } else {
      logger.warn(context, 'retry job failed on infrastructure; BullMQ runs it again later');
    }
    deps.onJobFailed?.(error);
  });
  return {
    async close() {
      // Waits for the jobs under way; a job cut short by a crash instead is taken up again as
      // stalled by the next worker.
      await worker.close();
    },
  };
}
