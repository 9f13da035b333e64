import { SignJWT, UnsecuredJWT } from 'jose';
import { createBearerAuthenticator, LOGIN_TOKEN } from './bearer-authenticator.ts';

const SECRET = 'the-shared-token-secret-of-32-characters';
const NOW = new Date('2026-12-02T12:00:00Z');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
const operators = [
  { name: 'admin', token: 'admin-token-0123456789' },
  { name: 'alice', token: 'alice-token-0123456789' },
];
const authenticate = createBearerAuthenticator({
  tokenSecret: SECRET,
  operators,
  now: () => NOW,
});

/** A login token as the producer signs it (jwt-token-issuer.ts), with `change` applied. */
function loginToken(
  change: {
    secret?: string;
    alg?: string;
    issuer?: string;
    /** null: no `aud` claim. */
    audience?: string | string[] | null;
    expiresAt?: Date;
    subject?: string;
  } = {},
) {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: change.alg ?? 'HS256', typ: 'JWT' })
    .setJti('token-1')
    .setIssuer(change.issuer ?? LOGIN_TOKEN.issuer)
    .setIssuedAt(seconds(NOW) - 60)
    .setExpirationTime(seconds(change.expiresAt ?? new Date(NOW.getTime() + 3_600_000)));
  if (change.subject !== '') jwt.setSubject(change.subject ?? 'user-1');
  if (change.audience !== null) jwt.setAudience(change.audience ?? LOGIN_TOKEN.audience);
  return jwt.sign(new TextEncoder().encode(change.secret ?? SECRET));
}

describe('bearer authentication', () => {
  it('when the header is missing or blank, then there is no caller', async () => {
    expect(await authenticate(undefined)).toEqual({ kind: 'none' });
    expect(await authenticate('  ')).toEqual({ kind: 'none' });
  });

  it('when an operator token is presented, then the caller is that operator by name, in any case of Bearer', async () => {
    expect(await authenticate('Bearer admin-token-0123456789')).toEqual({
      kind: 'operator',
      name: 'admin',
    });
    expect(await authenticate('bearer alice-token-0123456789')).toEqual({
      kind: 'operator',
      name: 'alice',
    });
  });

  it('when an operator token is almost right, or not a bearer, then it is invalid', async () => {
    for (const header of [
      'Bearer alice-token-012345678',
      'Bearer alice-token-01234567890',
      'Bearer ALICE-TOKEN-0123456789',
      'alice-token-0123456789',
      'Basic alice-token-0123456789',
      'Bearer alice-token-0123456789 extra',
      'Bearer ',
    ]) {
      expect({ header, caller: await authenticate(header) }).toEqual({
        header,
        caller: { kind: 'invalid' },
      });
    }
  });

  it('when a login token signed by the producer is presented, then the caller is its user until it expires', async () => {
    expect(await authenticate(`Bearer ${await loginToken()}`)).toEqual({
      kind: 'user',
      userId: 'user-1',
      expiresAt: new Date(NOW.getTime() + 3_600_000),
    });
  });

  it('when a login token names this API among its audiences, then the caller is its user', async () => {
    expect(
      await authenticate(
        `Bearer ${await loginToken({ audience: ['other', LOGIN_TOKEN.audience] })}`,
      ),
    ).toMatchObject({ kind: 'user', userId: 'user-1' });
  });

  it.each([
    ['expired', { expiresAt: new Date(NOW.getTime() - 1_000) }],
    ['signed with another secret', { secret: 'another-secret-of-at-least-32-characters' }],
    ['of another issuer', { issuer: 'someone-else' }],
    ['signed with HS512', { alg: 'HS512' }],
    ['without a subject', { subject: '' }],
    ['without an audience', { audience: null }],
    ['for another audience', { audience: 'producer-svc' }],
    ['for other audiences only', { audience: ['dlq-cli', 'bench'] }],
  ])('when a login token %s is presented, then it is invalid', async (_case, change) => {
    expect(await authenticate(`Bearer ${await loginToken(change)}`)).toEqual({ kind: 'invalid' });
  });

  it('when an unsigned token (alg none) or a tampered one is presented, then it is invalid', async () => {
    const unsigned = new UnsecuredJWT({ sub: 'user-1' })
      .setIssuer(LOGIN_TOKEN.issuer)
      .setExpirationTime(seconds(NOW) + 3_600)
      .encode();
    expect(await authenticate(`Bearer ${unsigned}`)).toEqual({ kind: 'invalid' });
    const [header, , signature] = (await loginToken()).split('.');
    const claims = Buffer.from(
      JSON.stringify({ sub: 'user-2', iss: LOGIN_TOKEN.issuer, exp: seconds(NOW) + 3_600 }),
    ).toString('base64url');
    expect(await authenticate(`Bearer ${header}.${claims}.${signature}`)).toEqual({
      kind: 'invalid',
    });
    expect(await authenticate('Bearer not.a.jwt')).toEqual({ kind: 'invalid' });
  });
});
