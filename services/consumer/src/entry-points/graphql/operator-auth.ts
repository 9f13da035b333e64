import { GraphQLError } from 'graphql';
import type { Caller } from './auth/bearer-authenticator.ts';
import type { GraphqlContext } from './auth/read-rules.ts';

export type { GraphqlContext } from './auth/read-rules.ts';

export interface OperatorAuthSettings {
  /**
   * Whether any operator token (ADMIN_TOKEN, OPERATOR_TOKENS) is configured; none means operator
   * mutations are open outside production and refused in it.
   */
  operatorsConfigured: boolean;
  production: boolean;
  /** Dead-letter queries need an operator too (their payloads carry personal data). */
  readsNeedToken: boolean;
  /** Where each operator operation is recorded, with its actor's name (never the token). */
  logger: { info(details: object, message: string): void };
}

export type OperatorAction = 'read' | 'write';

/** The name logs give a caller: an operator's own, else what kind of caller it is. */
export const actorOf = (caller: Caller): string =>
  caller.kind === 'operator'
    ? caller.name
    : caller.kind === 'user'
      ? `user:${caller.userId}`
      : 'anonymous';

/**
 * Throws the GraphQL error a caller must see when it may not do `action` (`operation` and
 * `details` name it in the log): FORBIDDEN when operator operations are switched off (production without an
 * operator token) or the caller is a user, UNAUTHENTICATED when the bearer token is missing or
 * wrong. Allowed operations are logged with the actor.
 */
export function createOperatorGuard(settings: OperatorAuthSettings) {
  return (
    context: GraphqlContext,
    action: OperatorAction,
    operation: string,
    details: Record<string, unknown> = {},
  ): void => {
    const { caller } = context;
    const open =
      (action === 'read' && !settings.readsNeedToken) ||
      (!settings.operatorsConfigured && !settings.production);
    if (!open) {
      if (!settings.operatorsConfigured) {
        throw new GraphQLError('operator operations are disabled: no operator token is set', {
          extensions: { code: 'FORBIDDEN' },
        });
      }
      if (caller.kind === 'user') {
        throw new GraphQLError('operator operations need an operator token, not a login token', {
          extensions: { code: 'FORBIDDEN' },
        });
      }
      if (caller.kind !== 'operator') {
        throw new GraphQLError('operator operations need Authorization: Bearer <operator token>', {
          extensions: { code: 'UNAUTHENTICATED' },
        });
      }
    }
    settings.logger.info(
      { ...details, actor: actorOf(caller), action, operation },
      'operator operation',
    );
  };
}
