import { SignJWT } from 'jose';
import type { TokenIssuer } from '../domain/ports.ts';

export const TOKEN_ISSUER = 'producer-svc';
/**
 * Who the token is for: the consumer's read API, which requires it (docs/contract.md). Without
 * it a token signed with the shared secret for any other purpose would pass there too.
 */
export const TOKEN_AUDIENCE = 'consumer-read-api';

/**
 * HS256 JWTs: `sub` = user id, `jti` = token id (what the issued-token event carries), `iss`
 * producer-svc, `aud` consumer-read-api.
 */
export function createJwtTokenIssuer(options: { secret: string }): TokenIssuer {
  const key = new TextEncoder().encode(options.secret);
  return {
    issue: ({ userId, tokenId, issuedAt, expiresAt }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setJti(tokenId)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key),
  };
}
