import { type ASTNode, GraphQLError, type GraphQLFormattedError, Kind, print } from 'graphql';

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

// A schema name, and a type reference such as `[String!]!`: never anything a client sent.
const NAME = '[_A-Za-z][_0-9A-Za-z]*';
const TYPE = '[_0-9A-Za-z[\\]!]+';

/**
 * graphql-js 16's messages about an input value (coerceInputValue, ValuesOfCorrectTypeRule)
 * that name only the schema's types and fields, or the caller's key for a field that does not
 * belong: shown as they are. Anchored, so nothing can ride along.
 */
const VALUE_FREE = [
  `Expected non-nullable type "${TYPE}" not to be null\\.`,
  `Expected type "${TYPE}"( to be an object)?\\.`,
  `Field "(${NAME}\\.)?${NAME}" of required type "${TYPE}" was not provided\\.`,
  `Field "[^"]*" is not defined by type "${NAME}"\\.( Did you mean [" ,_0-9A-Za-z]+\\?)?`,
  `Field "(${NAME}\\.)?${NAME}" must be non-null\\.`,
  `Exactly one key must be specified for OneOf type "${NAME}"\\.`,
  `OneOf Input Object "${NAME}" must specify exactly one key\\.`,
  `Expected value of type "${TYPE}", found null\\.`,
].map((source) => new RegExp(`^${source}$`));

/**
 * graphql-js 16's messages that quote the value (the built-in scalars', an enum's, a literal's,
 * a custom scalar's plain Error), each with where the expected type is. The enum's is greedy:
 * its value comes first, raw, so the last `in "…" enum.` is graphql-js's own.
 */
const VALUE_BEARING = [
  `^(String|Int|Float|Boolean|ID) cannot represent `,
  `^Enum "(${NAME})" cannot represent `,
  `^Value [^]* does not exist in "(${NAME})" enum\\.`,
  `^Expected value of type "(${TYPE})", found `,
  `^Expected type "(${NAME})"\\. `,
].map((source) => new RegExp(source));

/**
 * How far from the end of a variable error its path and detail can start. Both are graphql-js's
 * own and short; everything before them is the client's value, which may be as long as the body
 * limit. Looking only there keeps the masker linear: scanning the whole message for the detail's
 * start was quadratic in the value (a 100 KB value of `; Value ` repeated took ~1 s of CPU).
 */
const MAX_TAIL = 1_024;

/** getVariableValues: `Variable "$name" got invalid value <value>[ at "<path>"]; <detail>`. */
const VARIABLE_ERROR = new RegExp(`^Variable "\\$(${NAME})" got invalid value `);

const VALUE_KINDS = new Set<string>([
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
  Kind.OBJECT_FIELD,
]);

export interface GraphqlErrorMaskerOptions {
  logger: { error(details: object, message: string): void };
  /** The codes the service raises on purpose (`extensions.code`), shown as they are. */
  expectedCodes: readonly string[];
  /**
   * Answer unexpected errors with their own message (development only); otherwise they are
   * answered as a bare "Internal server error". They are logged with their stack either way.
   */
  showUnexpected: boolean;
  /**
   * Leave out graphql-js' "Did you mean …?" hints (where introspection is off: they name the
   * schema's fields). Apollo's hideSchemaDetailsFromClientErrors covers validation only, not
   * a variable's value refused in coercion. @defaultValue false
   */
  hideSchemaHints?: boolean;
}

/** Apollo's own pattern for the hint at the end of a message. */
const SCHEMA_HINT = / ?Did you mean(.+?)\?$/;

/**
 * Apollo's `formatError` for both services. Expected errors pass. An input value graphql-js
 * refused, in a variable or a literal, is answered with its path and expected type and never
 * the value (graphql-js quotes it, a password included; a literal is no less secret, and the
 * error travels where the document does not: client error reports, gateways' logs). An input
 * field that does not belong or is missing becomes BAD_USER_INPUT naming the field and nothing
 * else. Anything else is unexpected: logged with its stack, and masked unless `showUnexpected`.
 */
export function createGraphqlErrorMasker(options: GraphqlErrorMaskerOptions) {
  const mask = maskerOf(options);
  if (!options.hideSchemaHints) return mask;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const masked = mask(formatted, error);
    return { ...masked, message: masked.message.replace(SCHEMA_HINT, '') };
  };
}

function maskerOf(options: GraphqlErrorMaskerOptions) {
  const exposed = new Set([...REQUEST_CODES, ...options.expectedCodes]);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = String(formatted.extensions?.code ?? '');
    if (code === 'BAD_USER_INPUT' || code === 'GRAPHQL_VALIDATION_FAILED') {
      const input = describeInputError(formatted, error);
      if (input) return answerInputError(formatted, code, input);
      const field = formatted.extensions?.field;
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

/**
 * A field that does not belong or is missing is BAD_USER_INPUT naming it, in graphql-js's words
 * alone; any other refused value keeps its code, with the field its path ends at if any.
 */
function answerInputError(
  formatted: GraphQLFormattedError,
  code: string,
  input: InputError,
): GraphQLFormattedError {
  const named = UNKNOWN_FIELD.exec(input.detail)?.[1] ?? MISSING_FIELD.exec(input.detail)?.[1];
  const field = named ?? input.field;
  return {
    message: named === undefined ? input.message : input.detail,
    locations: formatted.locations,
    path: formatted.path,
    // Without the stack Apollo adds outside production: its first line is graphql-js's own
    // message, value and all.
    extensions: {
      ...withoutStack(formatted.extensions),
      code: named === undefined ? code : 'BAD_USER_INPUT',
      ...(field === undefined ? {} : { field }),
    },
  };
}

interface InputError {
  /** The whole answer, with no value in it. */
  message: string;
  /** graphql-js's detail when it has no value in it, else the expected type in its words. */
  detail: string;
  /** The input object field the path ends at, if any. */
  field?: string;
}

/**
 * An error about a value graphql-js refused, rebuilt from what it is made of: the variable's
 * name and path (schema names only), and a detail that is either value-free or reduced to the
 * expected type. Undefined for any other error (a resolver's, a validation rule's own).
 */
function describeInputError(
  formatted: GraphQLFormattedError,
  error: unknown,
): InputError | undefined {
  const variable = VARIABLE_ERROR.exec(formatted.message);
  if (variable?.[1]) return describeVariableError(variable[1], formatted.message, error);
  if (!isLiteralError(formatted.message, error)) return undefined;
  const detail = safeDetail(formatted.message, (type) => `Expected value of type "${type}".`);
  return { message: detail ?? 'Invalid value.', detail: detail ?? 'Invalid value.' };
}

function describeVariableError(name: string, message: string, error: unknown): InputError {
  const { prefix, detail } = splitVariableMessage(message, error);
  // The path is the last thing before the detail and holds only field names and indexes, so an
  // anchored match cannot take it from inside the value.
  const path = new RegExp(` at "(${name}((?:\\.${NAME}|\\[\\d+\\])*))"$`).exec(
    prefix?.slice(-MAX_TAIL) ?? '',
  );
  const field = path?.[2]?.match(new RegExp(`\\.(${NAME})(?:\\[\\d+\\])*$`))?.[1];
  const declared = path ? undefined : firstNode(error);
  const fallback =
    declared?.kind === Kind.VARIABLE_DEFINITION
      ? `Expected type "${print(declared.type)}".`
      : undefined;
  const safe =
    (detail === undefined ? undefined : safeDetail(detail, (type) => `Expected type "${type}".`)) ??
    fallback;
  const where = path ? ` at "${path[1]}"` : '';
  return {
    message: `Variable "$${name}" got invalid value${where}${safe ? `; ${safe}` : '.'}`,
    detail: safe ?? 'Invalid value.',
    ...(field === undefined ? {} : { field }),
  };
}

/**
 * Where graphql-js's prefix ends and its detail begins: its detail is the message of the error
 * it wraps (`originalError`, kept by Apollo). Without that, the first `; ` in the message's tail
 * after which a known detail follows (anything picked there is still reduced by `safeDetail`).
 */
function splitVariableMessage(message: string, error: unknown) {
  const cause = error instanceof GraphQLError ? error.originalError : undefined;
  if (cause && message.endsWith(`; ${cause.message}`)) {
    return { prefix: message.slice(0, -cause.message.length - 2), detail: cause.message };
  }
  const from = Math.max(0, message.length - MAX_TAIL);
  for (let at = message.indexOf('; ', from); at !== -1; at = message.indexOf('; ', at + 1)) {
    const detail = message.slice(at + 2);
    if (safeDetail(detail, () => '') !== undefined) return { prefix: message.slice(0, at), detail };
  }
  return { prefix: undefined, detail: undefined };
}

/** The detail if it is value-free, the expected type in `expected`'s words, or undefined. */
function safeDetail(detail: string, expected: (type: string) => string): string | undefined {
  if (VALUE_FREE.some((pattern) => pattern.test(detail))) return detail;
  for (const pattern of VALUE_BEARING) {
    const type = pattern.exec(detail)?.[1];
    if (type) return expected(type);
  }
  return undefined;
}

/**
 * A validation error about a literal (ValuesOfCorrectTypeRule, or the scalar it asked): it
 * points at a value node. Other validation errors point at fields, arguments or operations and
 * quote only names.
 */
function isLiteralError(message: string, error: unknown): boolean {
  const node = firstNode(error);
  if (node) return VALUE_KINDS.has(node.kind);
  return [...VALUE_FREE, ...VALUE_BEARING].some((pattern) => pattern.test(message));
}

/** The AST node graphql-js reported the error at: Apollo keeps the nodes when it wraps. */
const firstNode = (error: unknown): ASTNode | undefined =>
  error instanceof GraphQLError ? error.nodes?.[0] : undefined;

function withoutStack(extensions: GraphQLFormattedError['extensions']) {
  const { stacktrace: _stack, ...rest } = extensions ?? {};
  return rest;
}

function unwrap(error: unknown): unknown {
  return error instanceof GraphQLError && error.originalError ? error.originalError : error;
}
