import { routeConsoleToLogger } from '@kafka-ecs/service-kit';
import { connectRawProducer, type RawProducer, waitFor } from '@kafka-ecs/testing';
import type { FormattedExecutionResult } from 'graphql';
import { type Client, createClient, type SubscribePayload } from 'graphql-ws';
import { UnsecuredJWT } from 'jose';
import { pino } from 'pino';
import WebSocket from 'ws';
import {
  ADMIN_TOKEN,
  createIsolation,
  graphql,
  type Isolation,
  loginToken,
  OPERATOR_NAME,
  OPERATOR_TOKEN,
  publish,
  startTestConsumer,
  type TestConsumer,
  TOKEN_SECRET,
  testAuth,
  tokenIssued,
  userCreated,
} from './support/harness.ts';

/** Small, so a message over it is cheap to send; large enough for a 2,000-token document. */
const WS_MAX_PAYLOAD_BYTES = 16_384;
const BOUND_MS = 10_000;

type Result = FormattedExecutionResult<Record<string, unknown>, unknown>;

const codesOf = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  result.errors?.map((error) => error.extensions?.code);

describe('who may read what', () => {
  let iso: Isolation;
  let service: TestConsumer;
  let producer: RawProducer;
  const logLines: string[] = [];
  const ada = userCreated();
  const bob = userCreated();
  const clients: Client[] = [];

  beforeAll(async () => {
    iso = await createIsolation();
    [service, producer] = await Promise.all([
      startTestConsumer(iso, {
        // As in production: dead-letter reads need an operator.
        auth: { ...testAuth, production: true, readsNeedToken: true },
        wsMaxPayloadBytes: WS_MAX_PAYLOAD_BYTES,
        logger: pino({ level: 'info' }, { write: (line: string) => logLines.push(line) }),
      }),
      connectRawProducer(),
    ]);
    await publish(producer, iso, [ada, bob]);
    await waitFor(
      async () => {
        const { data } = await graphql<{ users: { totalCount: number } }>(
          service.url,
          '{ users { totalCount } }',
        );
        return data?.users.totalCount === 2;
      },
      { timeoutMs: 20_000, description: 'both users in the view' },
    );
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });

  afterAll(async () => {
    await producer?.close();
    await service?.close();
  });

  const as = (token: string | null, query: string, variables: Record<string, unknown> = {}) =>
    graphql(service.url, query, variables, { token });
  const USER = 'query($id: ID!) { user(id: $id) { id username } }';

  it('when there is no token, an invalid or expired one, one the producer did not sign or one not for this API, then user data is UNAUTHENTICATED', async () => {
    const id = ada.data.id;
    const unsigned = new UnsecuredJWT({ sub: id })
      .setIssuer('producer-svc')
      .setExpirationTime('1h')
      .encode();
    const tokens = {
      none: null,
      garbage: 'not-a-token',
      expired: await loginToken(id, { expiresAt: new Date(Date.now() - 1_000) }),
      'another secret': await loginToken(id, { secret: 'another-secret-of-at-least-32-chars' }),
      'another issuer': await loginToken(id, { issuer: 'someone-else' }),
      'no audience': await loginToken(id, { audience: null }),
      'another audience': await loginToken(id, { audience: 'producer-svc' }),
      'alg none': unsigned,
      'an operator token with a character more': `${OPERATOR_TOKEN}x`,
    };
    const answers: Record<string, unknown> = {};
    for (const [name, token] of Object.entries(tokens)) {
      const one = await as(token, USER, { id });
      const list = await as(token, '{ users { totalCount } }');
      answers[name] = [one.data?.user ?? null, codesOf(one), codesOf(list)];
    }
    const refused = [null, ['UNAUTHENTICATED'], ['UNAUTHENTICATED']];
    expect(answers).toEqual(Object.fromEntries(Object.keys(tokens).map((name) => [name, refused])));
  });

  it("when a login token reads, then it gets its own user, FORBIDDEN for another's and for the list", async () => {
    const token = await loginToken(ada.data.id);
    expect((await as(token, USER, { id: ada.data.id })).data).toEqual({
      user: { id: ada.data.id, username: ada.data.username },
    });
    const other = await as(token, USER, { id: bob.data.id });
    expect([other.data?.user ?? null, codesOf(other)]).toEqual([null, ['FORBIDDEN']]);
    // A user that does not exist answers the same: the rule is checked before the view is read.
    expect(codesOf(await as(token, USER, { id: 'no-such-user' }))).toEqual(['FORBIDDEN']);
    expect(codesOf(await as(token, '{ users { totalCount } }'))).toEqual(['FORBIDDEN']);
  });

  it('when an operator token reads, then it gets any user and the list', async () => {
    for (const token of [OPERATOR_TOKEN, ADMIN_TOKEN]) {
      expect((await as(token, USER, { id: bob.data.id })).data).toEqual({
        user: { id: bob.data.id, username: bob.data.username },
      });
      expect((await as(token, '{ users { totalCount } }')).data).toEqual({
        users: { totalCount: 2 },
      });
    }
  });

  it('when dead letters are read or replayed, then only an operator gets through, and the log names it, never its token', async () => {
    const userToken = await loginToken(ada.data.id);
    const READ = '{ deadLetters { totalCount } }';
    const REPLAY = 'mutation { replayDeadLetter(id: "no-such-topic:0:0") { outcome } }';
    expect([
      codesOf(await as(null, READ)),
      codesOf(await as(userToken, READ)),
      codesOf(await as(null, REPLAY)),
      codesOf(await as(userToken, REPLAY)),
    ]).toEqual([['UNAUTHENTICATED'], ['FORBIDDEN'], ['UNAUTHENTICATED'], ['FORBIDDEN']]);
    expect((await as(OPERATOR_TOKEN, READ)).data).toEqual({ deadLetters: { totalCount: 0 } });
    expect(codesOf(await as(OPERATOR_TOKEN, REPLAY))).toEqual(['NOT_FOUND']);
    const operations = logLines
      .filter((line) => line.includes('"operator operation"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(operations).toEqual([
      expect.objectContaining({ actor: OPERATOR_NAME, action: 'read', operation: 'deadLetters' }),
      expect.objectContaining({
        actor: OPERATOR_NAME,
        action: 'write',
        operation: 'replayDeadLetter',
        id: 'no-such-topic:0:0',
      }),
    ]);
    for (const secret of [OPERATOR_TOKEN, ADMIN_TOKEN, userToken, TOKEN_SECRET]) {
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });

  /** A graphql-ws client that sends `token` as connectionParams.authorization. */
  const wsClient = (token: string | null) => {
    const client = createClient({
      url: `${service.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    clients.push(client);
    return client;
  };

  /** Runs an operation to its end (complete or error), bounded; what it received. */
  const outcome = (client: Client, payload: SubscribePayload) =>
    new Promise<{ results: Result[]; error?: unknown }>((resolve, reject) => {
      const results: Result[] = [];
      const timer = setTimeout(() => reject(new Error('no end to the operation')), BOUND_MS);
      client.subscribe(payload, {
        next: (result) => results.push(result),
        error: (error) => {
          clearTimeout(timer);
          resolve({ results, error });
        },
        complete: () => {
          clearTimeout(timer);
          resolve({ results });
        },
      });
    });

  it('when a login token subscribes, then it receives only its own user while others are applied; an operator receives all', async () => {
    const SUBSCRIPTION = { query: 'subscription { userNotification { id tokensIssued } }' };
    const own: { id: string; tokensIssued: number }[] = [];
    const all: { id: string }[] = [];
    const errors: unknown[] = [];
    const sink = (into: { id: string }[]) => ({
      next: (result: Result) => {
        if (result.errors) errors.push(result.errors);
        into.push(result.data?.userNotification as { id: string; tokensIssued: number });
      },
      error: (error: unknown) => errors.push(error),
      complete: () => {},
    });
    wsClient(await loginToken(ada.data.id)).subscribe(SUBSCRIPTION, sink(own));
    wsClient(OPERATOR_TOKEN).subscribe(SUBSCRIPTION, sink(all));
    await waitFor(
      async () => {
        const [, count] = (await service.redis.pubsub(
          'NUMSUB',
          `${iso.viewPrefix}:user-notifications`,
        )) as [string, number];
        return count > 0;
      },
      { description: 'the subscriptions live' },
    );
    // The subscriptions start one after the other: both are live once the operator's sees a
    // probe, then the others' events and Ada's interleave.
    const others = Array.from({ length: 5 }, () => tokenIssued(bob.data.id));
    await publish(producer, iso, [others[0] as (typeof others)[0]]);
    await waitFor(() => all.length >= 1, { timeoutMs: BOUND_MS, description: 'the probe' });
    await publish(producer, iso, [tokenIssued(ada.data.id), ...others.slice(1)]);
    await waitFor(() => all.length >= 6, { timeoutMs: BOUND_MS, description: 'all six seen' });
    // Ada's second event comes last: once it arrived, every earlier notification has passed
    // her subscription's filter too (one Redis channel, in order).
    await publish(producer, iso, [tokenIssued(ada.data.id)]);
    await waitFor(() => own.length >= 2, { timeoutMs: BOUND_MS, description: "Ada's two" });
    expect(errors).toEqual([]);
    expect(own.map((user) => user.id)).toEqual([ada.data.id, ada.data.id]);
    expect(new Set(all.map((user) => user.id))).toEqual(new Set([ada.data.id, bob.data.id]));
  });

  it('when a login token expires during its subscription, then the next notification ends it UNAUTHENTICATED', async () => {
    const token = await loginToken(ada.data.id, { expiresAt: new Date(Date.now() + 3_000) });
    let ended = false;
    const ending = outcome(wsClient(token), {
      query: 'subscription { userNotification { id } }',
    }).finally(() => {
      ended = true;
    });
    // Ada changes until the subscription ends: her changes reach it until the token expires.
    await waitFor(
      async () => {
        await publish(producer, iso, [tokenIssued(ada.data.id)]);
        return ended;
      },
      { timeoutMs: BOUND_MS, intervalMs: 250, description: 'the subscription ended' },
    );
    const { results, error } = await ending;
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    expect(error).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
  });

  it('when a login token expires during a quiet subscription, then it ends UNAUTHENTICATED at the expiry, with nothing published', async () => {
    // Room for the first delivery on a loaded machine (exp is in whole seconds: 11-12 s).
    const token = await loginToken(ada.data.id, { expiresAt: new Date(Date.now() + 12_000) });
    const received: Result[] = [];
    let ended: { error?: unknown } | undefined;
    wsClient(token).subscribe(
      { query: 'subscription { userNotification { id } }' },
      {
        next: (result) => received.push(result),
        error: (error) => {
          ended = { error };
        },
        complete: () => {
          ended = {};
        },
      },
    );
    // Live first (one of Ada's changes arrives), then nothing more is published.
    await waitFor(
      async () => {
        await publish(producer, iso, [tokenIssued(ada.data.id)]);
        return received.length > 0;
      },
      { timeoutMs: BOUND_MS, intervalMs: 250, description: 'the subscription live' },
    );
    expect(ended).toBeUndefined();
    // Before, it waited for the next notification, which never came.
    await waitFor(() => ended, { timeoutMs: 2 * BOUND_MS, description: 'the subscription ended' });
    expect(ended?.error).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
  }, 40_000);

  it('when a subscription comes with no token, an invalid one or one not for this API, then it is refused UNAUTHENTICATED', async () => {
    const SUBSCRIPTION = { query: 'subscription { userNotification { id } }' };
    const id = ada.data.id;
    for (const token of [
      null,
      'not-a-token',
      `${OPERATOR_TOKEN}x`,
      await loginToken(id, { audience: null }),
      await loginToken(id, { audience: 'producer-svc' }),
    ]) {
      const { results, error } = await outcome(wsClient(token), SUBSCRIPTION);
      expect({ token, error, codes: results.flatMap(codesOf) }).toEqual({
        token,
        error: undefined,
        codes: ['UNAUTHENTICATED'],
      });
    }
  });

  it('when a WebSocket operation is too deep, aliased, long or introspects production, then it is refused as over HTTP', async () => {
    const client = wsClient(OPERATOR_TOKEN);
    const refusal = async (query: string) => {
      const { results, error } = await outcome(client, { query });
      expect(results).toEqual([]);
      return (error as { message: string; extensions?: { code?: string } }[]).map(
        (entry) => `${entry.extensions?.code}: ${entry.message}`,
      );
    };
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: users(first: 100) { totalCount }`);
    expect(await refusal(`{ ${aliases.join(' ')} }`)).toContainEqual(
      expect.stringMatching(/^GRAPHQL_VALIDATION_FAILED: .*aliases limit of 10 exceeded/i),
    );
    // Valid, and 13 deep: each inline fragment counts as a level.
    const deep = `{ users { nodes { ${'... on UserView { '.repeat(10)} id ${'} '.repeat(10)} } } }`;
    expect(await refusal(deep)).toContainEqual(
      expect.stringMatching(/^GRAPHQL_VALIDATION_FAILED: .*depth limit of 8 exceeded/i),
    );
    expect(await refusal(`{ ${'users { nodes { '.repeat(400)}id${' } }'.repeat(400)} }`)).toEqual([
      expect.stringMatching(/^GRAPHQL_PARSE_FAILED: .*more that 2000 tokens/),
    ]);
    // Production, as this consumer is: introspection off over HTTP, and over WebSocket too.
    const INTROSPECTION = '{ __schema { types { name } } }';
    expect(codesOf(await as(OPERATOR_TOKEN, INTROSPECTION))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await refusal(INTROSPECTION)).toContainEqual(
      expect.stringMatching(/^GRAPHQL_VALIDATION_FAILED: GraphQL introspection has been disabled/),
    );
    // Nor hints: a misspelt field is refused without naming the fields that exist.
    const MISSPELT = '{ deadLetterz { totalCount } }';
    const overHttp = await as(OPERATOR_TOKEN, MISSPELT);
    expect(codesOf(overHttp)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(overHttp.errors?.[0]?.message).toBe('Cannot query field "deadLetterz" on type "Query".');
    expect(await refusal(MISSPELT)).toEqual([
      'GRAPHQL_VALIDATION_FAILED: Cannot query field "deadLetterz" on type "Query".',
    ]);
    // A variable's misspelt field is refused without them too.
    const BULK = 'mutation($f: DeadLetterFilter!) { replayDeadLetters(filter: $f) { matched } }';
    const variableHttp = await as(OPERATOR_TOKEN, BULK, { f: { topc: 'x' } });
    const variableWs = await outcome(client, { query: BULK, variables: { f: { topc: 'x' } } });
    for (const text of [JSON.stringify(variableHttp.errors), JSON.stringify(variableWs.error)]) {
      expect(text).toContain('topc');
      expect(text).not.toMatch(/Did you mean/);
    }
  });

  it('when a variable is of the wrong type over WebSocket, then the error names it without its value', async () => {
    const { results, error } = await outcome(wsClient(OPERATOR_TOKEN), {
      query: 'query($first: Int) { users(first: $first) { totalCount } }',
      variables: { first: 'secret-value-4711' },
    });
    expect(results).toEqual([]);
    expect(JSON.stringify(error)).not.toContain('secret-value-4711');
    expect(error).toEqual([
      expect.objectContaining({
        message: 'Variable "$first" got invalid value; Expected type "Int".',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      }),
    ]);
  });

  it('when a WebSocket message is larger than WS_MAX_PAYLOAD_BYTES, then the socket is closed with 1009 and the log has one JSON line for it', async () => {
    // As main.ts does: graphql-ws prints a socket's error with console.error, stack and all.
    const printed: Record<string, unknown>[] = [];
    const restoreConsole = routeConsoleToLogger(
      pino({ level: 'info' }, { write: (line: string) => printed.push(JSON.parse(line)) }),
    );
    let code: unknown;
    try {
      const socket = new WebSocket(
        `${service.url.replace('http', 'ws')}/graphql`,
        'graphql-transport-ws',
      );
      const closed = new Promise<number>((resolve) => socket.once('close', resolve));
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: {
            authorization: `Bearer ${OPERATOR_TOKEN}`,
            padding: 'x'.repeat(WS_MAX_PAYLOAD_BYTES),
          },
        }),
      );
      code = await Promise.race([
        closed,
        new Promise((resolve) => setTimeout(() => resolve('still open'), BOUND_MS).unref()),
      ]);
      socket.terminate();
    } finally {
      restoreConsole();
    }
    expect(code).toBe(1009);
    expect(printed).toEqual([
      expect.objectContaining({
        level: 50,
        source: 'console',
        msg: expect.stringContaining('Internal error emitted on a WebSocket socket'),
        err: expect.objectContaining({ message: 'Max payload size exceeded' }),
      }),
    ]);
  });
});
