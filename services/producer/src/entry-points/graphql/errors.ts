import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import {
  DependencyUnavailableError,
  InvalidCredentialsError,
  InvalidInputError,
  UsernameTakenError,
} from '../../domain/errors.ts';

/** Turns the use cases' expected failures into GraphQL errors with the contract's codes. */
export function toGraphqlError(error: unknown): unknown {
  if (error instanceof InvalidInputError) {
    return new GraphQLError(error.message, {
      extensions: { code: 'BAD_USER_INPUT', field: error.field },
    });
  }
  if (error instanceof UsernameTakenError) {
    return new GraphQLError(error.message, {
      extensions: { code: 'CONFLICT', field: 'username' },
    });
  }
  if (error instanceof InvalidCredentialsError) {
    return new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } });
  }
  if (error instanceof DependencyUnavailableError) {
    return new GraphQLError(error.message, { extensions: { code: 'SERVICE_UNAVAILABLE' } });
  }
  return error;
}

const EXPECTED_CODES = new Set([
  'BAD_USER_INPUT',
  'CONFLICT',
  'UNAUTHENTICATED',
  'SERVICE_UNAVAILABLE',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

// graphql-js words for an input object field that does not belong or is missing.
const UNKNOWN_FIELD = /Field "([^"]+)" is not defined by type "[^"]+"/;
const MISSING_FIELD = /Field "[^"]*?\.?([^".]+)" of required type "[^"]+" was not provided/;

/**
 * Apollo's formatError: expected errors pass (unknown or missing input fields become
 * BAD_USER_INPUT naming the field, the way the use cases name theirs); anything else is logged
 * with its stack and, in production, answered as a bare "internal error".
 */
export function createErrorFormatter(options: { logger: Logger; production: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? '');
    if (code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED') {
      const field =
        formatted.extensions?.field ??
        UNKNOWN_FIELD.exec(formatted.message)?.[1] ??
        MISSING_FIELD.exec(formatted.message)?.[1];
      if (field !== undefined) {
        // graphql-js quotes the whole input value, password included: answer the field only.
        const detail = formatted.message.split('; ').at(-1) ?? formatted.message;
        return {
          message: detail,
          locations: formatted.locations,
          path: formatted.path,
          extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT', field },
        };
      }
    }
    if (EXPECTED_CODES.has(code)) return formatted;
    options.logger.error({ err: unwrap(error) }, 'unexpected GraphQL error');
    if (options.production) {
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    return formatted;
  };
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
