import { SignJWT } from 'jose';
import type { TokenIssuer } from '../domain/ports.ts';

export const TOKEN_ISSUER = 'producer-svc';

/** HS256 JWTs: `sub` = user id, `jti` = token id (what the issued-token event carries). */
export function createJwtTokenIssuer(options: { secret: string }): TokenIssuer {
  const key = new TextEncoder().encode(options.secret);
  return {
    issue: ({ userId, tokenId, issuedAt, expiresAt }) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setJti(tokenId)
        .setIssuer(TOKEN_ISSUER)
        .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(key),
  };
}
