import { argon2 } from 'node:crypto';
import type { BenchContext } from '../context.ts';
import { createUserBody } from '../fixtures.ts';
import { PRODUCTION_ARGON2ID } from '../password-hash.ts';
import { type Check, type Metric, metric } from '../result-schema.ts';
import { median } from '../stats.ts';

/** The producer's default hash, verified raw (its 32-byte tag). */
const ARGON2ID = {
  memory: PRODUCTION_ARGON2ID.memoryKiB,
  passes: PRODUCTION_ARGON2ID.passes,
  parallelism: PRODUCTION_ARGON2ID.parallelism,
  tagLength: 32,
};
const ROUNDS = 15;

const LOGIN =
  'mutation ($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';

/**
 * Equal time for known and unknown usernames on a failed login, at the production hash (a timing
 * figure, so here and not in a test). Each sample uses a username of its own, so the login
 * throttle (per username) never answers one without a hash; the two kinds are interleaved in
 * alternating order, so a stall of the machine slows both alike, and medians drop stalls. The
 * reference is one raw argon2id verification in this process: an unknown user that skipped the
 * dummy hash would answer a whole one faster, so the check asks for less than half of one.
 */
export async function loginTiming(
  context: BenchContext,
  graphqlUrl: string,
): Promise<{ metrics: Metric[]; checks: Check[] }> {
  const prefix = `lt-${context.tag}-`;
  const known: number[] = [];
  const unknown: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const username = `${prefix}k${round}`;
    const created = await post(graphqlUrl, createUserBody(username));
    if (!created.body.includes('"createUser"')) {
      throw new Error(`createUser for the login timing failed: ${created.body.slice(0, 200)}`);
    }
    const pair = [
      async () => known.push(await failedLogin(graphqlUrl, username)),
      async () => unknown.push(await failedLogin(graphqlUrl, `${prefix}u${round}`)),
    ];
    if (round % 2 === 1) pair.reverse();
    for (const sample of pair) await sample();
  }
  const hashMs = await fastestVerify();
  const difference = Math.abs(median(known) - median(unknown));
  context.log(
    `  failed login: known ${median(known).toFixed(1)} ms, unknown ${median(unknown).toFixed(1)} ms (medians of ${ROUNDS}); one argon2id verification ${hashMs.toFixed(1)} ms`,
  );
  return {
    metrics: [
      metric('failed login, known username (median)', 'ms', [median(known)]),
      metric('failed login, unknown username (median)', 'ms', [median(unknown)]),
      metric('one argon2id verification, raw', 'ms', [hashMs]),
    ],
    checks: [
      {
        name: 'failed logins take the same time whether the username exists or not',
        ok: difference < hashMs / 2,
        detail: `medians differ by ${difference.toFixed(1)} ms; an unknown user that skipped the hash would be ~${hashMs.toFixed(1)} ms faster (limit: half of that)`,
      },
    ],
  };
}

/** Milliseconds for one login with a wrong password, which must answer UNAUTHENTICATED. */
async function failedLogin(url: string, username: string): Promise<number> {
  const started = performance.now();
  const { body } = await post(
    url,
    JSON.stringify({ query: LOGIN, variables: { username, password: 'wrong password' } }),
  );
  const ms = performance.now() - started;
  if (!body.includes('"UNAUTHENTICATED"')) {
    throw new Error(`a wrong password did not answer UNAUTHENTICATED: ${body.slice(0, 200)}`);
  }
  return ms;
}

async function post(url: string, body: string): Promise<{ body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  return { body: await response.text() };
}

/** The fastest of five raw verifications: a stall can only add to a sample. */
async function fastestVerify(): Promise<number> {
  const nonce = Buffer.alloc(16, 7);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await new Promise<Buffer>((resolve, reject) =>
      argon2('argon2id', { message: 'wrong password', nonce, ...ARGON2ID }, (error, key) =>
        error ? reject(error) : resolve(key),
      ),
    );
    samples.push(performance.now() - started);
  }
  return Math.min(...samples);
}
