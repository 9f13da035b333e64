import armorMaxAliases from '@escape.tech/graphql-armor-max-aliases';
import armorMaxDepth from '@escape.tech/graphql-armor-max-depth';
import type { ValidationRule } from 'graphql';

export interface GraphqlLimits {
  /** Deepest selection (introspection exempt). */
  maxDepth: number;
  /**
   * Most aliases in one operation, fragments included: without it one request of a few KB runs
   * the same field dozens of times.
   */
  maxAliases: number;
  /** Say the limit in the error (off in production: it tells an attacker the budget). */
  exposeLimits: boolean;
}

/**
 * The validation rules both services' GraphQL endpoints bound documents with. A rejection is
 * reported as a validation error (400) rather than thrown, which Apollo would answer with 500.
 */
export function graphqlLimitRules(limits: GraphqlLimits): ValidationRule[] {
  const report = {
    exposeLimits: limits.exposeLimits,
    propagateOnRejection: false,
    onReject: [
      (context: { reportError(error: Error): void } | null, error: Error) =>
        context?.reportError(error),
    ],
  };
  return [
    armorMaxDepth.maxDepthRule({ n: limits.maxDepth, ignoreIntrospection: true, ...report }),
    armorMaxAliases.maxAliasesRule({
      n: limits.maxAliases,
      errorMessage: 'Query validation error: too many aliases.',
      ...report,
    }),
  ];
}
