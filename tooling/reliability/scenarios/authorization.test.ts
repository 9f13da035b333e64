import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { repoRoot } from '@kafka-ecs/devstack';
import { graphql, outcomeOf, waitFor } from '@kafka-ecs/testing';
import {
  consumerEnv,
  readerAuthorization,
  type ScenarioSystem,
  type Scope,
  startService,
  startSystem,
  subscribe,
} from '../src/index.ts';
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

const NOTIFICATION = 'subscription { userNotification { id tokensIssued } }';
const LOGIN =
  'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id } } }';

/**
 * The WebSocket path of "who may read what": a user of its own logs in and subscribes with its
 * token, an operator's subscription watches the load's users being applied meanwhile, and a
 * subscription without a token is refused. The user's second login is its last change: once
 * that arrived, every notification before it has passed the user's filter. All bounded.
 */
async function webSocketReads(system: ScenarioSystem, scope: Scope) {
  const producerGraphql = `${system.producer.url}/producer-svc/graphql`;
  const consumerGraphql = `${system.consumer.url}/graphql`;
  const credentials = { u: `watcher-${process.pid}`, p: 'watcher-password' };
  const created = await graphql(
    producerGraphql,
    'mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }',
    {
      input: {
        username: credentials.u,
        email: `${credentials.u}@example.com`,
        password: credentials.p,
      },
    },
  );
  expect(outcomeOf(created)).toBe('OK');
  const login = async () => {
    const result = await graphql<{ login: { token: string; user: { id: string } } }>(
      producerGraphql,
      LOGIN,
      credentials,
    );
    if (!result.data) throw new Error(`login failed: ${outcomeOf(result)}`);
    return result.data.login;
  };
  const { token, user } = await login();
  const own = scope.add(
    await subscribe(consumerGraphql, NOTIFICATION, { authorization: `Bearer ${token}` }),
    (subscription) => subscription.close(),
  );
  const witness = scope.add(
    await subscribe(consumerGraphql, NOTIFICATION, { authorization: readerAuthorization() }),
    (subscription) => subscription.close(),
  );
  const anonymous = scope.add(await subscribe(consumerGraphql, NOTIFICATION), (subscription) =>
    subscription.close(),
  );
  const idsOf = (subscription: typeof own) =>
    subscription.results.map(
      (result) => (result.data?.userNotification as { id?: string } | undefined)?.id,
    );
  const others = () => new Set(idsOf(witness).filter((id) => id !== user.id)).size;
  await waitFor(() => others() >= 5, {
    timeoutMs: 20_000,
    intervalMs: 100,
    description: "the operator's subscription seeing five of the load's users",
  });
  await login();
  const lastChange = (result: (typeof own.results)[number]) =>
    (result.data?.userNotification as { tokensIssued?: number } | undefined)?.tokensIssued === 2;
  await waitFor(() => own.results.some(lastChange), {
    timeoutMs: 20_000,
    intervalMs: 100,
    description: "the user's own second login notified",
  });
  await waitFor(() => anonymous.ended(), {
    timeoutMs: 10_000,
    description: 'the subscription without a token answered',
  });
  return {
    ownIds: [...new Set(idsOf(own))],
    ownErrors: own.errors.length + own.results.filter((result) => result.errors).length,
    othersSeen: others(),
    noToken:
      anonymous.results
        .flatMap((result) => result.errors ?? [])
        .map((e) => e.extensions?.code)[0] ??
      anonymous.errors[0]?.extensions?.code ??
      'none',
    userId: user.id,
  };
}

describe('authorization', () => {
  it('when operators replay a dead letter over GraphQL and the CLI without a token, with a wrong one and with the right one, then only the right one gets through; a subscription with a login token gets only its own user while others are applied and one without a token is refused; and a production consumer without operator tokens refuses everyone', async () => {
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

    const ws = await webSocketReads(system, scope);

    // A production consumer without ADMIN_TOKEN or OPERATOR_TOKENS (a group and view of its
    // own: fault injection is off there, it must not take this group's partitions): operator
    // operations are off.
    const { OPERATOR_TOKENS: _suiteOperator, ...withoutOperators } = consumerEnv({
      kafkaBrokers: system.kafka.brokersEnv,
      redisUrl: system.consumerRedis.url,
      producerUrl: system.producer.url,
    });
    const production = scope.add(
      await startService({
        name: 'consumer-production',
        service: 'consumer',
        env: {
          ...withoutOperators,
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
      wsOwnOnly: ws.ownIds.length === 1 && ws.ownIds[0] === ws.userId ? 'yes' : 'no',
      wsOthersSeen: ws.othersSeen,
      wsNoToken: ws.noToken,
    });
    expect({
      refusedNoToken,
      refusedWrongToken,
      replayOutcome,
      stillListed,
      cli: [cliNoToken, cliWrongToken, cliRightToken],
      production: [productionReplay, productionReplayWithToken, productionRead],
      ws: { ownIds: ws.ownIds, ownErrors: ws.ownErrors, noToken: ws.noToken },
    }).toEqual({
      refusedNoToken: 'UNAUTHENTICATED',
      refusedWrongToken: 'UNAUTHENTICATED',
      replayOutcome: 'FAILED',
      stillListed: true,
      cli: [3, 3, 1],
      production: ['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN'],
      ws: { ownIds: [ws.userId], ownErrors: 0, noToken: 'UNAUTHENTICATED' },
    });
    expect(ws.othersSeen).toBeGreaterThanOrEqual(5);
    // The doomed user's event is the one dead letter; replays that failed again add none.
    expect(figures.deadLettered).toBe(1);
  }, 150_000);
});
