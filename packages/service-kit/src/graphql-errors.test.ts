import {
  buildSchema,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLScalarType,
  getVariableValues,
  type OperationDefinitionNode,
  parse,
  print,
  type ValueNode,
  validate,
} from 'graphql';
import { createGraphqlErrorMasker } from './graphql-errors.ts';

function masker(showUnexpected: boolean) {
  const logged: unknown[] = [];
  const format = createGraphqlErrorMasker({
    logger: { error: (details) => logged.push(details) },
    expectedCodes: ['CONFLICT'],
    showUnexpected,
  });
  return { format, logged };
}

const formattedOf = (error: GraphQLError): GraphQLFormattedError => error.toJSON();

describe('createGraphqlErrorMasker', () => {
  it('when an error carries an expected code, then it passes as it is and nothing is logged', () => {
    const { format, logged } = masker(false);
    const error = new GraphQLError('username is already taken', {
      extensions: { code: 'CONFLICT' },
    });
    expect(format(formattedOf(error), error)).toEqual(formattedOf(error));
    expect(logged).toEqual([]);
  });

  it('when an error is unexpected, then it is logged with its cause and answered as a bare internal error', () => {
    const { format, logged } = masker(false);
    const cause = new Error('redis said NOSCRIPT');
    const error = new GraphQLError(cause.message, { originalError: cause });
    expect(format(formattedOf(error), error)).toEqual({
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(logged).toEqual([{ err: cause }]);
  });

  it('when unexpected errors may be shown (development), then the message stays and it is still logged', () => {
    const { format, logged } = masker(true);
    const error = new GraphQLError('boom');
    expect(format(formattedOf(error), error).message).toBe('boom');
    expect(logged).toHaveLength(1);
  });

  it('when an input field does not belong, then the answer names the field and never echoes the value', () => {
    const { format } = masker(false);
    const error = new GraphQLError(
      'Variable "$input" got invalid value { password: "hunter22", extra: 1 }; Field "extra" is not defined by type "CreateUserInput".',
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
    const answer = format(formattedOf(error), error);
    expect(answer.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'extra' });
    expect(answer.message).toBe('Field "extra" is not defined by type "CreateUserInput".');
    expect(JSON.stringify(answer)).not.toContain('hunter22');
  });
});

const schema = buildSchema(`
  scalar Email
  enum Role { ADMIN MEMBER }
  input CreateUserInput {
    username: String!
    password: String!
    age: Int
    role: Role
    tags: [String!]
    email: Email
  }
  type Query { ping: String }
  type Mutation {
    createUser(input: CreateUserInput!): String
    login(username: String!, password: String!): String
  }
`);
// A scalar of the service's own, whose error quotes the value in words graphql-js does not know.
Object.assign(schema.getType('Email') as GraphQLScalarType, {
  parseValue: (value: unknown) => {
    throw new GraphQLError(`not an email address: ${String(value)}`);
  },
  parseLiteral: (node: ValueNode) => {
    throw new GraphQLError(`not an email address: ${print(node)}`, { nodes: node });
  },
});

/**
 * What Apollo gives formatError for an error graphql-js raised: its UserInputError or
 * ValidationError (same message and nodes, the cause kept, the code added), formatted with the
 * stack it adds outside production.
 */
function asApollo(error: GraphQLError | undefined, code: string) {
  if (!error) throw new Error('graphql-js raised no error');
  const wrapped = new GraphQLError(error.message, {
    nodes: error.nodes,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code },
  });
  const formatted: GraphQLFormattedError = {
    ...wrapped.toJSON(),
    extensions: { code, stacktrace: (wrapped.originalError?.stack ?? '').split('\n') },
  };
  return { formatted, error: wrapped };
}

/** The first error graphql-js raises coercing `variables` for `document`'s operation. */
function variableError(document: string, variables: Record<string, unknown>) {
  const [operation] = parse(document).definitions as OperationDefinitionNode[];
  const coerced = getVariableValues(schema, operation?.variableDefinitions ?? [], variables);
  return asApollo('errors' in coerced ? coerced.errors?.[0] : undefined, 'BAD_USER_INPUT');
}

/** The first error graphql-js's validation raises for `document`. */
const validationError = (document: string) =>
  asApollo(validate(schema, parse(document))[0], 'GRAPHQL_VALIDATION_FAILED');

const SECRET = 'hunter22-secret';
const CREATE_USER = 'mutation ($input: CreateUserInput!) { createUser(input: $input) }';
const user = (overrides: Record<string, unknown>) => ({
  input: { username: 'ada', password: 'correct horse', ...overrides },
});

describe('createGraphqlErrorMasker with input values', () => {
  it.each([
    [
      'a number for a string',
      CREATE_USER,
      user({ password: 12345678 }),
      'Variable "$input" got invalid value at "input.password"; Expected type "String".',
      'password',
    ],
    [
      'an object for a string, its text made to look like a message',
      CREATE_USER,
      user({ password: { note: `x"; Field "y" is not defined by type "Z". ${SECRET}` } }),
      'Variable "$input" got invalid value at "input.password"; Expected type "String".',
      'password',
    ],
    [
      'a string for an Int',
      CREATE_USER,
      user({ age: SECRET }),
      'Variable "$input" got invalid value at "input.age"; Expected type "Int".',
      'age',
    ],
    [
      'a string that is no value of an enum',
      CREATE_USER,
      user({ role: SECRET }),
      'Variable "$input" got invalid value at "input.role"; Expected type "Role".',
      'role',
    ],
    [
      'an object in a list of strings',
      CREATE_USER,
      user({ tags: ['ok', { token: SECRET }] }),
      'Variable "$input" got invalid value at "input.tags[1]"; Expected type "String".',
      'tags',
    ],
    [
      'a string for an input object',
      CREATE_USER,
      { input: SECRET },
      'Variable "$input" got invalid value; Expected type "CreateUserInput" to be an object.',
      undefined,
    ],
    [
      'a list for a top-level string',
      'mutation ($password: String!) { login(username: "ada", password: $password) }',
      { password: [SECRET] },
      'Variable "$password" got invalid value; Expected type "String".',
      undefined,
    ],
  ])(
    'when a variable of the wrong type carries a secret (%s), then the error names the path and type but not the value',
    (_case, document, variables, message, field) => {
      const { format, logged } = masker(false);
      const { formatted, error } = variableError(document, variables);
      const answer = format(formatted, error);
      expect(answer.message).toBe(message);
      expect(answer.extensions).toEqual(
        field === undefined ? { code: 'BAD_USER_INPUT' } : { code: 'BAD_USER_INPUT', field },
      );
      expect(answer.locations).toEqual(formatted.locations);
      const text = JSON.stringify(answer);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('12345678');
      expect(logged).toEqual([]);
    },
  );

  it('when a variable is null where it must not be, then graphql-js words it as it does, without a value', () => {
    const { format } = masker(false);
    const { formatted, error } = variableError(CREATE_USER, user({ password: null }));
    expect(format(formatted, error)).toMatchObject({
      message:
        'Variable "$input" got invalid value at "input.password"; Expected non-nullable type "String!" not to be null.',
      extensions: { code: 'BAD_USER_INPUT', field: 'password' },
    });
  });

  it('when an unknown field comes with a secret in the same variable, then only the field is named', () => {
    const { format } = masker(false);
    const { formatted, error } = variableError(
      CREATE_USER,
      user({ password: SECRET, admin: true }),
    );
    const answer = format(formatted, error);
    expect(answer.message).toBe('Field "admin" is not defined by type "CreateUserInput".');
    expect(answer.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'admin' });
    expect(JSON.stringify(answer)).not.toContain(SECRET);
  });

  // A literal is as secret as a variable: the error travels where the document does not (a
  // client's error report, a gateway's log), so it names the expected type only; its location
  // still points at the literal.
  it.each([
    [
      'a number for a string',
      'mutation { login(username: "ada", password: 12345678) }',
      'Expected value of type "String".',
    ],
    [
      'an object for a string',
      `mutation { login(username: "ada", password: { token: "${SECRET}" }) }`,
      'Expected value of type "String".',
    ],
    [
      'a string for an Int',
      `mutation { createUser(input: { username: "ada", password: "x", age: "${SECRET}" }) }`,
      'Expected value of type "Int".',
    ],
    [
      'a name that is no value of an enum',
      'mutation { createUser(input: { username: "ada", password: "x", role: hunter22_secret }) }',
      'Expected value of type "Role".',
    ],
    [
      'a string for an input object',
      `mutation { createUser(input: "${SECRET}") }`,
      'Expected value of type "CreateUserInput!".',
    ],
  ])(
    'when a literal of the wrong type carries a secret (%s), then the error names the type but not the value',
    (_case, document, message) => {
      const { format } = masker(false);
      const { formatted, error } = validationError(document);
      const answer = format(formatted, error);
      expect(answer.message).toBe(message);
      expect(answer.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
      expect(answer.locations).toEqual(formatted.locations);
      const text = JSON.stringify(answer);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('hunter22_secret');
      expect(text).not.toContain('12345678');
    },
  );

  it('when a scalar of the service refuses a value in words of its own, then the error says only where', () => {
    const { format } = masker(false);
    const variable = variableError(CREATE_USER, user({ email: SECRET }));
    expect(format(variable.formatted, variable.error)).toEqual({
      message: 'Variable "$input" got invalid value at "input.email".',
      locations: variable.formatted.locations,
      extensions: { code: 'BAD_USER_INPUT', field: 'email' },
    });
    const literal = validationError(
      `mutation { createUser(input: { username: "ada", password: "x", email: "${SECRET}" }) }`,
    );
    expect(format(literal.formatted, literal.error)).toEqual({
      message: 'Invalid value.',
      locations: literal.formatted.locations,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  // A value as long as the body limit, made of the separator the masker looks for: the masker
  // reads only the message's tail, so its work stays linear (it was quadratic: ~1 s of CPU for
  // 100 KB), and it still never echoes the value.
  const separators = '; Value '.repeat(25_000);

  it('when a long value full of separators is refused by a built-in scalar, then the path and type are still named', () => {
    const { format } = masker(false);
    const { formatted, error } = variableError(
      CREATE_USER,
      user({ age: `${separators}${SECRET}` }),
    );
    const answer = format(formatted, error);
    expect(answer.message).toBe(
      'Variable "$input" got invalid value at "input.age"; Expected type "Int".',
    );
    expect(answer.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'age' });
  });

  it('when a long value full of separators comes in an error whose cause is lost, then the answer is generic and holds no value', () => {
    const { format } = masker(false);
    // No originalError to split at, so the masker looks for the detail itself, in the tail only;
    // the scalar's own words quote the value, so they begin beyond it: no path, no type.
    const value = `${separators}${SECRET}`;
    const answer = format(
      {
        message: `Variable "$input" got invalid value "${value}" at "input.email"; not an email address: ${value}`,
        extensions: { code: 'BAD_USER_INPUT' },
      },
      new Error('a wrapper that dropped the cause'),
    );
    expect(answer.message).toBe('Variable "$input" got invalid value.');
    expect(JSON.stringify(answer)).not.toContain(SECRET);
    expect(JSON.stringify(answer)).not.toContain('; Value');
  });

  it('when a literal input object lacks a field, then BAD_USER_INPUT names it', () => {
    const { format } = masker(false);
    const { formatted, error } = validationError(
      `mutation { createUser(input: { username: "${SECRET}" }) }`,
    );
    expect(format(formatted, error)).toMatchObject({
      message: 'Field "CreateUserInput.password" of required type "String!" was not provided.',
      extensions: { code: 'BAD_USER_INPUT', field: 'password' },
    });
  });

  it('when a validation error is about the document, not a value, then it passes as it is', () => {
    const { format } = masker(false);
    const { formatted, error } = validationError('{ pong }');
    expect(format(formatted, error)).toEqual(formatted);
  });

  it('when a resolver raises BAD_USER_INPUT for a field, then its message is kept', () => {
    const { format } = masker(false);
    const error = new GraphQLError('password must be at least 8 characters', {
      extensions: { code: 'BAD_USER_INPUT', field: 'password' },
    });
    expect(format(formattedOf(error), error)).toMatchObject({
      message: 'password must be at least 8 characters',
      extensions: { code: 'BAD_USER_INPUT', field: 'password' },
    });
  });
});
