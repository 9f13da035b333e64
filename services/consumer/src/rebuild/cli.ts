// Operator command: rebuild the view from the topics and switch readers to it (see
// docs/operations.md). A composition root like main.ts: reads the environment, creates clients.
import { parseArgs } from 'node:util';
import { handlersOf, loadRuntime } from '../load-runtime.ts';
import {
  COMMON_OPTIONS,
  commandRedis,
  everyTwoSeconds,
  runOperatorCommand,
  timeoutMsOf,
} from './operator-command.ts';
import { runRebuild } from './run-rebuild.ts';

const USAGE = `usage: rebuild [--drop-previous] [--skip-failing] [--timeout-minutes N]

Rebuilds the consumer's Redis view from the beginning of its topics into a fresh view, while the
live consumer keeps running, then switches readers to it.
  --drop-previous      delete the keys of the view that was active before (default: keep it)
  --skip-failing       leave out a record whose handler fails its every try (default: stop the
                       rebuild, discarding the new view); its event stays in the failure path
  --timeout-minutes N  give up (and discard the new view) after N minutes (default: 60)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'drop-previous': { type: 'boolean', default: false },
      'skip-failing': { type: 'boolean', default: false },
      ...COMMON_OPTIONS,
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const timeoutMs = timeoutMsOf(values['timeout-minutes']);
  const { config, logger, kafka, redisConnection } = loadRuntime(process.env, {
    service: 'consumer-rebuild',
    clientId: 'consumer-rebuild',
  });
  const redis = commandRedis(redisConnection);
  try {
    const result = await runRebuild({
      logger,
      kafka,
      redis,
      handlers: handlersOf(config, logger, { rebuild: true }),
      groupId: config.CONSUMER_GROUP_ID,
      topics: config.CONSUMER_TOPICS,
      viewPrefix: config.VIEW_KEY_PREFIX,
      redisWaitReplicas: config.REDIS_WAIT_REPLICAS,
      dropPrevious: values['drop-previous'],
      skipFailing: values['skip-failing'],
      timeoutMs,
      onProgress: everyTwoSeconds(({ view, remaining, total }) =>
        logger.info({ view, remaining, total }, 'rebuilding view'),
      ),
    });
    logger.info(result, `view ${result.view} is live (was ${result.previous})`);
    if (result.skipped.keptFailing > 0) {
      logger.error(
        { keptFailing: result.skipped.keptFailing },
        'the new view lacks the events of records that failed in every try (logged above): replay their dead letters once their handler is fixed',
      );
    }
    return 0;
  } finally {
    redis.disconnect();
  }
}

runOperatorCommand('rebuild', USAGE, main);
