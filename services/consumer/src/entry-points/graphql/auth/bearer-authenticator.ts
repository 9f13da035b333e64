import { createHash, timingSafeEqual } from 'node:crypto';
import { jwtVerify } from 'jose';

/**
 * What the producer's login tokens are (services/producer/src/infra/jwt-token-issuer.ts): HS256
 * JWTs, `typ` JWT, issuer `producer-svc`, audience `consumer-read-api` (this API), `sub` the user
 * id, `exp` set. Anything else is refused, whatever its signature: `alg: none` and other
 * algorithms included, and a token of the same secret meant for another audience or none.
 */
export const LOGIN_TOKEN = {
  algorithm: 'HS256',
  issuer: 'producer-svc',
  audience: 'consumer-read-api',
  type: 'JWT',
} as const;

/** Who is calling, as far as the bearer token says. */
export type Caller =
  | { kind: 'operator'; name: string }
  | { kind: 'user'; userId: string; expiresAt: Date }
  /** No Authorization header. */
  | { kind: 'none' }
  /** A header that is not a valid operator token nor a valid, unexpired login token. */
  | { kind: 'invalid' };

/** One operator's name (what logs say) and bearer token (never logged). */
export interface OperatorCredential {
  name: string;
  token: string;
}

/** Turns an `Authorization` value (`Bearer …`) into the caller. Never throws. */
export type Authenticate = (authorization: string | undefined) => Promise<Caller>;

export interface BearerAuthenticatorOptions {
  /** The producer's TOKEN_SECRET. */
  tokenSecret: string;
  /** ADMIN_TOKEN (as `admin`) and OPERATOR_TOKENS. */
  operators: readonly OperatorCredential[];
  /** For tests of expiry. @defaultValue the system clock */
  now?: () => Date;
}

const NONE: Caller = { kind: 'none' };
const INVALID: Caller = { kind: 'invalid' };

export function createBearerAuthenticator(options: BearerAuthenticatorOptions): Authenticate {
  const key = new TextEncoder().encode(options.tokenSecret);
  const operators = options.operators.map(({ name, token }) => ({ name, digest: digest(token) }));
  return async (authorization) => {
    if (authorization === undefined || authorization.trim() === '') return NONE;
    const token = /^Bearer +(\S+) *$/i.exec(authorization)?.[1];
    if (token === undefined) return INVALID;
    // SHA-256 digests compared in constant time, every operator each time: neither the length
    // of a token nor which one (if any) matched shows in the time taken.
    const presented = digest(token);
    let operator: string | undefined;
    for (const candidate of operators) {
      if (timingSafeEqual(presented, candidate.digest)) operator ??= candidate.name;
    }
    if (operator !== undefined) return { kind: 'operator', name: operator };
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [LOGIN_TOKEN.algorithm],
        issuer: LOGIN_TOKEN.issuer,
        audience: LOGIN_TOKEN.audience,
        typ: LOGIN_TOKEN.type,
        requiredClaims: ['sub', 'exp', 'aud'],
        currentDate: options.now?.(),
      });
      if (typeof payload.sub !== 'string' || payload.sub === '') return INVALID;
      return { kind: 'user', userId: payload.sub, expiresAt: new Date((payload.exp ?? 0) * 1000) };
    } catch {
      // Bad signature, expired, wrong issuer, audience or algorithm, not a JWT: all the same to a
      // caller.
      return INVALID;
    }
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
