import type { LoginResult } from '../../domain/login.use-case.ts';
import type { PublicUser } from '../../domain/ports.ts';
import type { CreateUserInput } from '../../domain/user-input.ts';
import { toGraphqlError } from './errors.ts';

export interface UseCases {
  createUser(input: CreateUserInput): Promise<PublicUser>;
  login(username: string, password: string): Promise<LoginResult>;
}

/** Thin: each resolver calls one use case and maps its expected failures to error codes. */
export function createResolvers(useCases: UseCases) {
  const mapped = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw toGraphqlError(error);
    }
  };
  return {
    Query: {
      ping: () => 'Pong!',
    },
    Mutation: {
      createUser: (_: unknown, args: { input: CreateUserInput }) =>
        mapped(() => useCases.createUser(args.input)),
      login: (_: unknown, args: { username: string; password: string }) =>
        mapped(() => useCases.login(args.username, args.password)),
    },
  };
}
