import { GraphQLError } from 'graphql';
import {
  DependencyUnavailableError,
  HashingOverloadedError,
  InvalidCredentialsError,
  InvalidInputError,
  TooManyLoginAttemptsError,
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
  if (error instanceof TooManyLoginAttemptsError) {
    return new GraphQLError(error.message, {
      extensions: { code: 'TOO_MANY_REQUESTS', retryAfterSeconds: error.retryAfterSeconds },
    });
  }
  if (error instanceof HashingOverloadedError) {
    return new GraphQLError(error.message, {
      extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: error.retryAfterSeconds },
    });
  }
  if (error instanceof DependencyUnavailableError) {
    return new GraphQLError(error.message, { extensions: { code: 'SERVICE_UNAVAILABLE' } });
  }
  return error;
}

/** The codes `toGraphqlError` gives; the shared masker shows them as they are. */
export const EXPECTED_CODES = [
  'CONFLICT',
  'UNAUTHENTICATED',
  'TOO_MANY_REQUESTS',
  'SERVICE_UNAVAILABLE',
];
