import { tokenClaims } from './load.ts';

const jwt = (payload: unknown) =>
  `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.signature`;

describe('tokenClaims', () => {
  it('when the token is a JWT with jti and sub, then it returns them', () => {
    expect(tokenClaims(jwt({ jti: 't-1', sub: 'u-1' }))).toEqual({ tokenId: 't-1', userId: 'u-1' });
  });

  it('when the token is not a JWT, or lacks the claims, then it returns undefined (no throw)', () => {
    // Whatever answers on the producer's port may send anything as a "token".
    for (const token of ['', 'not-a-token', 'a.%%%.c', jwt({ jti: 7, sub: 'u' }), jwt(null)]) {
      expect(tokenClaims(token)).toBeUndefined();
    }
  });
});
