import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '@kafka-ecs/devstack';
import { graphql, outcomeOf, waitFor } from '@kafka-ecs/testing';
import { consumerEnv, startService, startSystem } from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

const ADMIN_TOKEN = 'reliability-admin-token-0123456789';
const WRONG_TOKEN = 'not-the-admin-token-0123456789';
// A production consumer needs the producer's secret; this one only has to start.
const PRODUCTION_TOKEN_SECRET = randomBytes(32).toString('hex');

const REPLAY = 'mutation ($id: ID!) { replayDeadLetter(id: $id) { outcome } }';

/** Runs the dead-letter CLI against `url`; resolves with its exit code (bounded). */
function dlq(url: string, args: string[], token: string | undefined): Promise<number> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_OPTIONS: '',
    DLQ_URL: `${url}/graphql`,
    ADMIN_TOKEN: token,
  };
  if (token === undefined) delete env.ADMIN_TOKEN;
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=kafka-ecs-source', join(repoRoot(), 'tools/dlq-cli/src/main.ts'), ...args],
      { env, stdio: 'ignore' },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : -1));
    });
  });
}

describe('authorization', () => {
  it('when operators replay a dead letter over GraphQL and the CLI without a token, with a wrong one and with the right one, then only the right one gets through, and a production consumer without ADMIN_TOKEN refuses everyone', async () => {
    const system = await startSystem(scope, {
      consumers: 1,
      consumerEnv: {
        ADMIN_TOKEN,
        RETRY_MAX_ATTEMPTS: '2',
        RETRY_BACKOFF_MS: '100',
        RETRY_BACKOFF_FACTOR: '1',
        RETRY_BACKOFF_MAX_MS: '200',
        RETRY_JOB_LOCK_MS: '2000',
        FAULT_INJECT_USERNAME_PATTERN: '^doomed-',
        FAULT_INJECT_FAILURES: 'always',
      },
    });
    const { consumer } = system;
    await system.waitForAssignment();
    const load = system.startLoad({ ratePerSecond: 40, maxMutations: 1_000 });
    await load.waitForMoreAcks(50);

    // A user whose new-user-created always fails: created outside the load, so nobody logs in
    // as it, and its one event ends as one dead letter (exhausted).
    const doomed = await graphql<{ createUser: { id: string } }>(
      `${system.producer.url}/producer-svc/graphql`,
      'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
      {
        input: {
          username: `doomed-${process.pid}`,
          email: `doomed-${process.pid}@example.com`,
          password: 'doomed-password',
        },
      },
    );
    expect(outcomeOf(doomed)).toBe('OK');
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const listed = async () => {
      const result = await graphql<{
        deadLetters: { totalCount: number; nodes: { id: string; reason: string }[] };
      }>(
        `${consumer.url}/graphql`,
        '{ deadLetters(first: 10) { totalCount nodes { id reason attempts } } }',
        {},
        bearer(ADMIN_TOKEN),
      );
      return result.data?.deadLetters;
    };
    const letter = await waitFor(async () => (await listed())?.nodes[0], {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'the doomed user dead-lettered',
    });
    expect(letter.reason).toBe('exhausted');

    // GraphQL: no token, a wrong one, the right one.
    const replay = (options: { headers?: Record<string, string> } = {}) =>
      graphql<{ replayDeadLetter: { outcome: string } }>(
        `${consumer.url}/graphql`,
        REPLAY,
        { id: letter.id },
        options,
      );
    const refusedNoToken = outcomeOf(await replay());
    const refusedWrongToken = outcomeOf(await replay(bearer(WRONG_TOKEN)));
    const granted = await replay(bearer(ADMIN_TOKEN));
    const replayOutcome = granted.data?.replayDeadLetter.outcome ?? outcomeOf(granted);
    const stillListed = (await listed())?.nodes.some((node) => node.id === letter.id) ?? false;

    // The CLI: 3 without a token and with a wrong one, 1 (failed again) with the right one.
    const cliNoToken = await dlq(consumer.url, ['replay', letter.id, '--yes'], undefined);
    const cliWrongToken = await dlq(consumer.url, ['replay', letter.id, '--yes'], WRONG_TOKEN);
    const cliRightToken = await dlq(consumer.url, ['replay', letter.id, '--yes'], ADMIN_TOKEN);

    // A production consumer without ADMIN_TOKEN (a group and view of its own: fault injection
    // is off there, it must not take this group's partitions): operator operations are off.
    const production = scope.add(
      await startService({
        name: 'consumer-production',
        service: 'consumer',
        env: {
          ...consumerEnv({
            kafkaBrokers: system.kafka.brokersEnv,
            redisUrl: system.consumerRedis.url,
            producerUrl: system.producer.url,
          }),
          NODE_ENV: 'production',
          TOKEN_SECRET: PRODUCTION_TOKEN_SECRET,
        },
      }),
      (service) => service.stop(),
    );
    const productionReplay = outcomeOf(
      await graphql(`${production.url}/graphql`, REPLAY, { id: letter.id }),
    );
    const productionReplayWithToken = outcomeOf(
      await graphql(`${production.url}/graphql`, REPLAY, { id: letter.id }, bearer(ADMIN_TOKEN)),
    );
    const productionRead = outcomeOf(
      await graphql(`${production.url}/graphql`, '{ deadLetters { totalCount } }'),
    );
    await production.stop();

    await load.waitForMoreAcks(100);
    const figures = await finishAndExpectNothingLost('authorization', system, load, {
      refusedNoToken,
      refusedWrongToken,
      replayWithToken: replayOutcome,
      stillListed: stillListed ? 'yes' : 'no',
      cliExitCodes: `${cliNoToken}/${cliWrongToken}/${cliRightToken}`,
      production: `${productionReplay}/${productionReplayWithToken}/${productionRead}`,
    });
    expect({
      refusedNoToken,
      refusedWrongToken,
      replayOutcome,
      stillListed,
      cli: [cliNoToken, cliWrongToken, cliRightToken],
      production: [productionReplay, productionReplayWithToken, productionRead],
    }).toEqual({
      refusedNoToken: 'UNAUTHENTICATED',
      refusedWrongToken: 'UNAUTHENTICATED',
      replayOutcome: 'FAILED',
      stillListed: true,
      cli: [3, 3, 1],
      production: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
    });
    // The doomed user's event is the one dead letter; replays that failed again add none.
    expect(figures.deadLettered).toBe(1);
  }, 150_000);
});
