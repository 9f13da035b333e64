import { createHash, timingSafeEqual } from 'node:crypto';
import { GraphQLError } from 'graphql';

/** What a GraphQL operation knows about its caller. */
export interface GraphqlContext {
  /** The request's Authorization header, if any. */
  authorization?: string;
}

export interface OperatorAuthSettings {
  /** ADMIN_TOKEN; unset means operator mutations are open outside production, refused in it. */
  adminToken?: string;
  production: boolean;
  /** Dead-letter queries need the token too (their payloads carry personal data). */
  readsNeedToken: boolean;
}

export type OperatorAction = 'read' | 'write';

/**
 * Throws the GraphQL error a caller must see when it may not do `action`: FORBIDDEN when
 * operator mutations are switched off (production without ADMIN_TOKEN), UNAUTHENTICATED when the
 * bearer token is missing or wrong.
 */
export function createOperatorGuard(settings: OperatorAuthSettings) {
  // Hashes compared in constant time, so neither the token nor its length leaks through timing.
  const expected = settings.adminToken ? digest(settings.adminToken) : undefined;
  return (context: GraphqlContext, action: OperatorAction): void => {
    if (action === 'read' && !settings.readsNeedToken) return;
    if (!expected) {
      if (!settings.production) return;
      throw new GraphQLError('operator operations are disabled: ADMIN_TOKEN is not configured', {
        extensions: { code: 'FORBIDDEN' },
      });
    }
    const match = /^Bearer (.+)$/i.exec(context.authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new GraphQLError('operator operations need Authorization: Bearer <ADMIN_TOKEN>', {
        extensions: { code: 'UNAUTHENTICATED' },
      });
    }
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
