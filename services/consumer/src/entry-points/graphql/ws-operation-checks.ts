import {
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';

/** What one WebSocket operation may cost: as over HTTP (graphql-server.ts). */
export interface OperationLimits {
  maxTokens: number;
  rules: readonly ValidationRule[];
}

/**
 * graphql-ws's `onSubscribe`: the checks Apollo makes over HTTP, with its codes, so the masker
 * treats both alike. Parse bounded by `maxTokens`, validation with the limit rules, variables
 * coerced here (graphql-js would otherwise refuse them inside execute, where its message quoting
 * the value reaches the client as it is). Errors, or what graphql-ws is to execute.
 */
export function checkSubscribe(
  schema: GraphQLSchema,
  payload: SubscribePayload,
  limits: OperationLimits,
): ExecutionArgs | GraphQLError[] {
  let document: ReturnType<typeof parse>;
  try {
    document = parse(payload.query, { maxTokens: limits.maxTokens });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    return [coded(error, 'GRAPHQL_PARSE_FAILED')];
  }
  const invalid = validate(schema, document, [...specifiedRules, ...limits.rules]);
  if (invalid.length > 0) return invalid.map((error) => coded(error, 'GRAPHQL_VALIDATION_FAILED'));
  const operation = getOperationAST(document, payload.operationName);
  if (!operation) {
    return [
      new GraphQLError('Unable to identify operation', {
        extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
      }),
    ];
  }
  const variables = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    payload.variables ?? {},
  );
  if (variables.errors) return variables.errors.map((error) => coded(error, 'BAD_USER_INPUT'));
  return {
    schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
  };
}

/** graphql-ws's `onNext`: a result's errors through the masker; undefined when it has none. */
export function maskResult(
  result: ExecutionResult,
  mask: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): FormattedExecutionResult | undefined {
  if (!result.errors?.length) return undefined;
  return { ...result, errors: result.errors.map((error) => mask(error.toJSON(), error)) };
}

/** The error with `extensions.code` set, keeping what the masker reads (nodes, cause). */
const coded = (error: GraphQLError, code: string) =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
