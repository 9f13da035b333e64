import { GraphQLError, type GraphQLFormattedError } from 'graphql';
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
