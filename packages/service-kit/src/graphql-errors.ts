import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** What Apollo and graphql-js report about a request itself: always the caller's to see. */
const REQUEST_CODES = [
  'BAD_USER_INPUT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
];

// graphql-js words for an input object field that does not belong or is missing.
const UNKNOWN_FIELD = /Field "([^"]+)" is not defined by type "[^"]+"/;
const MISSING_FIELD = /Field "[^"]*?\.?([^".]+)" of required type "[^"]+" was not provided/;

export interface GraphqlErrorMaskerOptions {
  logger: { error(details: object, message: string): void };
  /** The codes the service raises on purpose (`extensions.code`), shown as they are. */
  expectedCodes: readonly string[];
  /**
   * Answer unexpected errors with their own message (development only); otherwise they are
   * answered as a bare "Internal server error". They are logged with their stack either way.
   */
  showUnexpected: boolean;
}

/**
 * Apollo's `formatError` for both services. Expected errors pass. An input field that does not
 * belong or is missing becomes BAD_USER_INPUT naming the field and nothing else (graphql-js
 * quotes the whole input value, a password included). Anything else is unexpected: logged with
 * its stack, and masked unless `showUnexpected`.
 */
export function createGraphqlErrorMasker(options: GraphqlErrorMaskerOptions) {
  const exposed = new Set([...REQUEST_CODES, ...options.expectedCodes]);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? '');
    if (code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED') {
      const field =
        formatted.extensions?.field ??
        UNKNOWN_FIELD.exec(formatted.message)?.[1] ??
        MISSING_FIELD.exec(formatted.message)?.[1];
      if (field !== undefined) {
        const detail = formatted.message.split('; ').at(-1) ?? formatted.message;
        return {
          message: detail,
          locations: formatted.locations,
          path: formatted.path,
          extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT', field },
        };
      }
    }
    if (exposed.has(code)) return formatted;
    options.logger.error({ err: unwrap(error) }, 'unexpected GraphQL error');
    if (options.showUnexpected) return formatted;
    return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
