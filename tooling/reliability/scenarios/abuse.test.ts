import { graphql, waitFor } from '@kafka-ecs/testing';
import {
  createProgress,
  flood,
  probe,
  type RawAnswer,
  rawHttp,
  readerAuthorization,
  sendOversized,
  startSystem,
  subscribe,
  trickle,
} from '../src/index.ts';
import { finishAndExpectNothingLost, useScope } from './support/scenario.ts';

const scope = useScope();

/** What a request-rejecting answer must look like: its status and words a client can act on. */
interface Rejection {
  status: number;
  message: RegExp;
}

const post = (path: string, body: string, headers = 'Content-Type: application/json\r\n') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

const aliases = (count: number, field: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => `a${i}: ${field(i)}`).join(' ');

/** Polls a liveness route every 100 ms until stopped; the slowest answer and the failures. */
function watchLiveness(url: string) {
  const answers: { status: number; ms: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      answers.push(await probe(url, 5_000));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
    return {
      probes: answers.length,
      slowestMs: Math.round(Math.max(...answers.map((a) => a.ms))),
      failed: answers.filter((a) => a.status !== 200).length,
    };
  };
}

const CREATE_USER = `mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const LOGIN = `mutation ($username: String!, $password: String!) {
  login(username: $username, password: $password) { token }
}`;
/** The producer's defaults (shared/contract.md, "Login throttling"). */
const LOGIN_MAX_FAILURES = 5;
const LOGIN_FAILURE_WINDOW_SECONDS = 900;

/**
 * A password-guessing burst on one username (all at once, so a check-then-count race would
 * show), then its right password, while another user logs in as usual. Two users of its own,
 * so the load's users are never throttled.
 */
async function guessPasswords(graphqlUrl: string, tag: string) {
  const [victim, bystander] = ['victim', 'bystander'].map((role) => ({
    username: `abuse-${tag}-${role}`,
    password: `right password of ${role}`,
  }));
  if (!victim || !bystander) throw new Error('unreachable');
  for (const user of [victim, bystander]) {
    const created = await graphql(graphqlUrl, CREATE_USER, {
      input: { ...user, email: `${user.username}@example.com` },
    });
    if (created.errors || created.failure) throw new Error(`could not create ${user.username}`);
  }
  const login = (user: { username: string; password: string }) =>
    graphql<{ login?: { token?: string } }>(graphqlUrl, LOGIN, user, { timeoutMs: 10_000 });
  const [guesses, bystanderLogins] = await Promise.all([
    Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login({ username: victim.username, password: `guess number ${i}` }),
      ),
    ),
    (async () => {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await login(bystander));
      return answers;
    })(),
  ]);
  const rightPassword = await login(victim);
  return { guesses, rightPassword, bystanderLogins };
}

const codeOf = (answer: { errors?: { extensions?: { code?: string } }[] }) =>
  answer.errors?.[0]?.extensions?.code;

describe('HTTP and GraphQL abuse', () => {
  it("when clients send deep, oversized, aliased, batched, malformed, huge or slow requests, oversized or aliased WebSocket messages, or guess one user's password, then each is refused with a bounded answer that says why, liveness answers in time throughout, and legitimate traffic loses nothing", async () => {
    const step = createProgress('abuse');
    const system = await startSystem(scope);
    const { consumer } = system;
    await system.waitForAssignment();
    const producerPort = Number(new URL(system.producer.url).port);
    const consumerPort = Number(new URL(consumer.url).port);
    const producerGraphql = '/producer-svc/graphql';
    const load = system.startLoad({ ratePerSecond: 20, maxMutations: 1_000 });
    await load.waitForMoreAcks(20);
    const producerLiveness = watchLiveness(`${system.producer.url}/producer-svc`);
    const consumerLiveness = watchLiveness(`${consumer.url}/`);
    step('system up, load and liveness watchers running');

    // Slow clients first, so they hold their connections through everything else.
    const slowProducer = Promise.all([
      ...repeat(20, () =>
        rawHttp({
          port: producerPort,
          head: `POST ${producerGraphql} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`,
          feed: (socket) => trickle(socket, ' ', 500),
          timeoutMs: 30_000,
        }),
      ),
      ...repeat(20, () =>
        rawHttp({
          port: producerPort,
          head: 'GET / HTTP/1.1\r\n',
          feed: (socket) => trickle(socket, 'X-A: b\r\n', 500),
          timeoutMs: 30_000,
        }),
      ),
      ...repeat(20, () => rawHttp({ port: producerPort, head: '', timeoutMs: 30_000 })),
    ]);

    const deep = `query { ${'login { user { '.repeat(12)} id ${'} } '.repeat(12)} }`;
    const producerCases: Record<string, [Promise<RawAnswer>[], Rejection]> = {
      'deep query': [
        repeat(10, () =>
          rawHttp({
            port: producerPort,
            head: post(producerGraphql, JSON.stringify({ query: deep })),
          }),
        ),
        { status: 400, message: /depth limit of 8 exceeded/ },
      ],
      'oversized query': [
        repeat(10, () =>
          rawHttp({
            port: producerPort,
            head: post(producerGraphql, JSON.stringify({ query: `{ ${'ping '.repeat(5_000)} }` })),
          }),
        ),
        { status: 400, message: /more th\w+ 1000 tokens/ },
      ],
      'alias flood': [
        repeat(10, () =>
          rawHttp({
            port: producerPort,
            head: post(
              producerGraphql,
              JSON.stringify({
                query: `mutation { ${aliases(40, (i) => `createUser(input: { username: "flood${i}", email: "f@x.io", password: "12345678" }) { id }`)} }`,
              }),
            ),
          }),
        ),
        { status: 400, message: /Aliases limit of 10 exceeded, found 40/ },
      ],
      'batch flood': [
        repeat(10, () =>
          rawHttp({
            port: producerPort,
            head: post(
              producerGraphql,
              JSON.stringify(Array.from({ length: 500 }, () => ({ query: '{ ping }' }))),
            ),
          }),
        ),
        { status: 400, message: /batching disabled/i },
      ],
      'invalid JSON': [
        repeat(10, () =>
          rawHttp({ port: producerPort, head: post(producerGraphql, '{"query": "{ ping }"') }),
        ),
        { status: 400, message: /not valid JSON/ },
      ],
      'huge body': [
        repeat(5, () =>
          rawHttp({
            port: producerPort,
            head: `POST ${producerGraphql} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${50 << 20}\r\n\r\n`,
            feed: (socket) => flood(socket, 50 << 20),
          }),
        ),
        { status: 413, message: /too large/ },
      ],
      'huge chunked body': [
        repeat(5, () =>
          rawHttp({
            port: producerPort,
            head: `POST ${producerGraphql} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
            feed: (socket) => flood(socket, 50 << 20, true),
          }),
        ),
        { status: 413, message: /too large/ },
      ],
    };
    const consumerCases: Record<string, [Promise<RawAnswer>[], Rejection]> = {
      'batch flood': [
        repeat(10, () =>
          rawHttp({
            port: consumerPort,
            head: post(
              '/graphql',
              JSON.stringify(Array.from({ length: 500 }, () => ({ query: '{ __typename }' }))),
            ),
          }),
        ),
        { status: 400, message: /batching disabled/i },
      ],
      'invalid JSON': [
        repeat(10, () => rawHttp({ port: consumerPort, head: post('/graphql', '{"query": ') })),
        { status: 400, message: /not valid JSON/ },
      ],
      'huge body': [
        repeat(5, () =>
          rawHttp({
            port: consumerPort,
            head: `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${50 << 20}\r\n\r\n`,
            feed: (socket) => flood(socket, 50 << 20),
          }),
        ),
        { status: 413, message: /too large/ },
      ],
    };
    const outcomes = async (cases: Record<string, [Promise<RawAnswer>[], Rejection]>) =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(cases).map(async ([name, [answers, expected]]) => {
            const settled = await Promise.all(answers);
            return [name, { answers: settled, expected }] as const;
          }),
        ),
      );
    const guessing = guessPasswords(
      `${system.producer.url}${producerGraphql}`,
      String(process.pid) + Date.now().toString(36),
    );
    // Awaited below; a failure before then must not count as unhandled.
    guessing.catch(() => {});
    const producerAnswers = await outcomes(producerCases);
    const consumerAnswers = await outcomes(consumerCases);
    const guessed = await guessing;
    step('abusive requests answered');
    // GraphQL over WebSocket: the same bounds (WS_MAX_PAYLOAD_BYTES, 64 KiB by default).
    const consumerGraphqlUrl = `${consumer.url}/graphql`;
    const wsOversized = await Promise.all(
      repeat(5, () => sendOversized(consumerGraphqlUrl, 256 << 10)),
    );
    const aliasedQuery = `{ ${aliases(40, () => 'users(first: 100) { totalCount }')} }`;
    const wsAliased = await Promise.all(
      repeat(5, () =>
        subscribe(consumerGraphqlUrl, aliasedQuery, { authorization: readerAuthorization() }),
      ),
    );
    await waitFor(() => wsAliased.every((subscription) => subscription.ended()), {
      timeoutMs: 10_000,
      description: 'the aliased WebSocket operations answered',
    });
    for (const subscription of wsAliased) subscription.close();
    step('abusive WebSocket messages answered');
    const slowAnswers = await slowProducer;
    step('slow clients cut');
    const producerLive = await producerLiveness();
    const consumerLive = await consumerLiveness();

    const all = [...Object.values(producerAnswers), ...Object.values(consumerAnswers)].flatMap(
      (entry) => entry.answers,
    );
    await finishAndExpectNothingLost('abuse', system, load, {
      abusiveRequests: all.length + slowAnswers.length,
      slowestRejectionMs: Math.round(Math.max(...all.map((a) => a.ms))),
      slowClientsCutAfterMs: Math.round(Math.max(...slowAnswers.map((a) => a.ms))),
      throttledLogins: guessed.guesses.filter((g) => codeOf(g) === 'TOO_MANY_REQUESTS').length,
      slowestGuessMs: Math.round(Math.max(...guessed.guesses.map((g) => g.ms))),
      producerLivenessSlowestMs: producerLive.slowestMs,
      consumerLivenessSlowestMs: consumerLive.slowestMs,
      wsOversizedClosedWith: [...new Set(wsOversized)].join('/'),
    });

    for (const [service, answers] of [
      ['producer', producerAnswers],
      ['consumer', consumerAnswers],
    ] as const) {
      for (const [name, { answers: got, expected }] of Object.entries(answers)) {
        for (const answer of got) {
          expect({ service, name, status: answer.status, message: answer.body }).toEqual({
            service,
            name,
            status: expected.status,
            message: expect.stringMatching(expected.message),
          });
          expect(answer.ms).toBeLessThan(5_000);
        }
      }
    }
    // Password guessing: the allowed failures are refused as wrong, every other guess and then
    // the right password are throttled with a usable retryAfterSeconds; the other user is not.
    const guessCodes = guessed.guesses.map(codeOf);
    expect(guessCodes.filter((code) => code === 'UNAUTHENTICATED')).toHaveLength(
      LOGIN_MAX_FAILURES,
    );
    expect(guessCodes.filter((code) => code === 'TOO_MANY_REQUESTS')).toHaveLength(
      guessed.guesses.length - LOGIN_MAX_FAILURES,
    );
    for (const answer of [...guessed.guesses, guessed.rightPassword]) {
      expect(answer.ms).toBeLessThan(5_000);
      if (codeOf(answer) !== 'TOO_MANY_REQUESTS') continue;
      const retryAfter = answer.errors?.[0]?.extensions?.retryAfterSeconds;
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(LOGIN_FAILURE_WINDOW_SECONDS);
    }
    expect(codeOf(guessed.rightPassword)).toBe('TOO_MANY_REQUESTS');
    expect(
      guessed.bystanderLogins.map((answer) => answer.data?.login?.token !== undefined),
    ).toEqual([true, true, true, true, true]);
    expect(wsOversized).toEqual(repeat(5, () => 1009));
    for (const subscription of wsAliased) {
      expect({ results: subscription.results, errors: subscription.errors }).toEqual({
        results: [],
        errors: [
          {
            message: expect.stringMatching(/Aliases limit of 10 exceeded, found 40/),
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      });
    }
    // Slow clients: refused with 408 once the request bound passes, not held forever.
    expect(slowAnswers.filter((answer) => answer.status !== 408 || answer.ms > 15_000)).toEqual([]);
    for (const live of [producerLive, consumerLive]) {
      expect(live.failed).toBe(0);
      expect(live.slowestMs).toBeLessThan(1_000);
    }
    expect(system.producer.alive() && consumer.alive()).toBe(true);
  }, 150_000);
});

function repeat<T>(count: number, make: () => T): T[] {
  return Array.from({ length: count }, make);
}
