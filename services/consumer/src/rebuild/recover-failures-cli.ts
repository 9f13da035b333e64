// Operator command: after Redis lost its data, make the failure path's state again from Kafka
// (waiting retries, the dead-letter index; docs/operations.md). A composition root like main.ts.
import { parseArgs } from 'node:util';
import { recoverFailurePath, retrySchedule } from '@kafka-ecs/retry';
import { createViewRegistry } from '../infra/view-registry.ts';
import { loadRuntime, retryPolicyOf } from '../load-runtime.ts';
import {
  COMMON_OPTIONS,
  commandRedis,
  everyTwoSeconds,
  runOperatorCommand,
  timeoutMsOf,
  UsageError,
} from './operator-command.ts';

/** Jobs due before the loss by less than this may not have run yet (a worker's backlog). */
const BACKLOG_MARGIN_MS = 15 * 60 * 1000;

const USAGE = `usage: recover-failures [--since TIME] [--timeout-minutes N]

After Redis lost its data, schedules again the retries that were waiting and indexes the dead
letters again, from the retry and dead-letter topics, while the live consumer keeps running.
Run it before rebuilding the view (the rebuild clears the mark of when the view was lost).
  --since TIME         re-schedule the retries of failures at or after TIME (ISO 8601; default:
                       when the view was found lost, less the longest retry delay and 15 minutes)
  --timeout-minutes N  give up after N minutes (default: 60)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      since: { type: 'string' },
      ...COMMON_OPTIONS,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeoutMs = timeoutMsOf(values['timeout-minutes']);
  const given = values.since === undefined ? undefined : new Date(values.since);
  if (given !== undefined && Number.isNaN(given.getTime())) {
    throw new UsageError(`--since is not a time: ${values.since}`);
  }
  const { config, logger, kafka, redisConnection } = loadRuntime(process.env, {
    service: 'consumer-recover-failures',
    clientId: 'consumer-recover-failures',
  });
  const redis = commandRedis(redisConnection);
  const policy = retryPolicyOf(config);
  try {
    let since = given;
    if (since === undefined) {
      const lost = await createViewRegistry({ redis, prefix: config.VIEW_KEY_PREFIX }).lostSince();
      if (lost === null) {
        throw new UsageError('the view is not marked lost (or was rebuilt since): give --since');
      }
      since = new Date(
        Date.parse(lost) - Math.max(0, ...retrySchedule(policy)) - BACKLOG_MARGIN_MS,
      );
    }
    logger.info({ since: since.toISOString() }, 'recovering the failure path');
    const reports = new Map<string, (progress: { step: string; remaining: number }) => void>();
    const result = await recoverFailurePath({
      kafka,
      redis,
      waitReplicas: config.REDIS_WAIT_REPLICAS,
      groupId: config.CONSUMER_GROUP_ID,
      topics: { retry: config.RETRY_TOPIC, deadLetter: config.DEAD_LETTER_TOPIC },
      policy,
      since,
      timeoutMs,
      logger,
      onProgress: (progress) => {
        // Its steps run side by side: each is reported on its own clock.
        const report =
          reports.get(progress.step) ??
          everyTwoSeconds((p: typeof progress) =>
            logger.info(p, 'reading the retry and dead-letter topics'),
          );
        reports.set(progress.step, report);
        report(progress);
      },
    });
    logger.info(result, 'failure path recovered');
    return 0;
  } finally {
    redis.disconnect();
  }
}

runOperatorCommand('recovery', USAGE, main);
