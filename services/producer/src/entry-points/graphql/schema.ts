export const typeDefs = /* GraphQL */ `
  """
  A user of the system. Never exposes the password or its hash.
  """
  type User {
    id: ID!
    username: String!
    email: String!
    firstName: String
    lastName: String
    "ISO 8601 timestamp"
    createdAt: String!
  }

  input CreateUserInput {
    "3-64 characters of a-z, 0-9, '.', '_' or '-'; unique"
    username: String!
    email: String!
    "at least 8 characters"
    password: String!
    firstName: String
    lastName: String
  }

  type LoginPayload {
    "HS256 JWT; sub = user id, jti = the token id of the issued-token event"
    token: String!
    "ISO 8601 timestamp"
    expiresAt: String!
    user: User!
  }

  type Query {
    "Answers 'Pong!' while the service is up."
    ping: String!
  }

  type Mutation {
    """
    Creates a user; answers once Kafka acknowledged its new-user-created event.
    Errors: BAD_USER_INPUT (extensions.field), CONFLICT, SERVICE_UNAVAILABLE (with
    extensions.retryAfterSeconds when the service is too busy to hash the password in time).
    """
    createUser(input: CreateUserInput!): User!
    """
    Issues a token; answers once Kafka acknowledged its issued-token event.
    Errors: UNAUTHENTICATED, TOO_MANY_REQUESTS (too many failed logins for this username;
    extensions.retryAfterSeconds), SERVICE_UNAVAILABLE (extensions.retryAfterSeconds when busy).
    """
    login(username: String!, password: String!): LoginPayload!
  }
`;
