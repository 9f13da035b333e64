// `pnpm stack:up | stack:down [--clean] | stack:status`: the local Kafka + Redis, in the background.
// With `--cluster`, the same commands act on a separate three-broker Kafka cluster instead; with
// `--secure`, on the SASL_SSL broker and TLS Redis beside the plain stack; with `--redis-cluster`,
// on the Redis Cluster beside it (plain `down` stops those two too).
import { rmSync } from 'node:fs';
import { StackError } from './errors.ts';
import { kafkaClusterStatus } from './kafka-cluster.ts';
import {
  printRedisClusterSummary,
  redisClusterCommand,
  redisClusterDownCommand,
} from './redis-cluster-commands.ts';
import { printSecureStatus, secureCommand, secureDown } from './secure-commands.ts';
import { type ComponentState, stackDown, stackSettings, stackStatus, stackUp } from './stack.ts';
import { clusterDir, stackClusterDown, stackClusterUp } from './stack-cluster.ts';

const USAGE =
  'usage: stack up | down [--clean] | status, each with --cluster for the 3-broker cluster, --secure for the SASL_SSL/TLS stack or --redis-cluster for the Redis Cluster';

const describe = (state: ComponentState): string =>
  state.state === 'running'
    ? `running (pid ${state.pid})`
    : state.state === 'external'
      ? 'running (not started by this stack)'
      : 'stopped';

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const log = (line: string) => console.error(`[stack] ${line}`);
  if (flags.includes('--cluster') && command !== undefined) return cluster(command, flags, log);
  if (flags.includes('--secure') && command !== undefined) {
    const code = await secureCommand(command, flags, stackSettings(), log);
    if (code === 2) console.error(USAGE);
    return code;
  }
  if (flags.includes('--redis-cluster') && command !== undefined) {
    const code = await redisClusterCommand(command, flags, stackSettings(), log);
    if (code === 2) console.error(USAGE);
    return code;
  }
  switch (command) {
    case 'up': {
      const started = Date.now();
      const stack = await stackUp({ log });
      log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`KAFKA_BROKERS=${stack.kafkaBrokers}\nREDIS_URL=${stack.redisUrl}`);
      return 0;
    }
    case 'down': {
      const settings = stackSettings();
      const stopped = await stackDown({ settings });
      log(
        `kafka: ${stopped.kafka ? 'stopped' : 'was not running'}; redis: ${stopped.redis ? 'stopped' : 'was not running'}`,
      );
      await secureDown(settings, [], log);
      await redisClusterDownCommand(settings, [], log);
      if (flags.includes('--clean')) {
        rmSync(settings.dir, { recursive: true, force: true });
        log(`removed ${settings.dir}`);
      }
      return 0;
    }
    case 'status': {
      const status = await stackStatus();
      console.log(`kafka  ${status.kafkaBrokers.padEnd(24)} ${describe(status.kafka)}`);
      console.log(`redis  ${status.redisUrl.padEnd(24)} ${describe(status.redis)}`);
      printSecureStatus(stackSettings());
      printRedisClusterSummary(stackSettings());
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

async function cluster(
  command: string,
  flags: string[],
  log: (line: string) => void,
): Promise<number> {
  const settings = stackSettings();
  switch (command) {
    case 'up': {
      const started = Date.now();
      const { kafkaBrokers } = await stackClusterUp({ settings, log });
      log(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      console.log(`KAFKA_BROKERS=${kafkaBrokers}`);
      return 0;
    }
    case 'down': {
      log(`cluster: ${(await stackClusterDown({ settings })) ? 'stopped' : 'was not running'}`);
      if (flags.includes('--clean')) {
        rmSync(clusterDir(settings), { recursive: true, force: true });
        log(`removed ${clusterDir(settings)}`);
      }
      return 0;
    }
    case 'status': {
      const nodes = kafkaClusterStatus(clusterDir(settings));
      if (nodes.length === 0) console.log('cluster  not created');
      for (const node of nodes) {
        const state = node.pid === undefined ? 'stopped' : `running (pid ${node.pid})`;
        console.log(`kafka-${node.nodeId}  ${node.address.padEnd(22)} ${state}`);
      }
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof StackError) {
      console.error(`[stack] error: ${error.message}`);
    } else {
      console.error('[stack] unexpected error:', error);
    }
    process.exitCode = 1;
  },
);
