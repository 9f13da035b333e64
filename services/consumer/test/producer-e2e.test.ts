import { EVENT_TOPICS } from '@kafka-ecs/events';
import { startGroupAtEnd, startServiceProcess, uniqueName, waitFor } from '@kafka-ecs/testing';
import { graphql, isolation, startTestConsumer, USER_FIELDS } from './support/harness.ts';

// The producer's mutations publish to Kafka, which it bounds at PUBLISH_TIMEOUT_MS (5 s by
// default): the client waits longer than that, so a slow but successful publish is not cut off.
const PRODUCER_MUTATION_TIMEOUT_MS = 15_000;

describe('producer to consumer', () => {
  it('when a user is created and logs in through the producer, then its login token reads it in the consumer view, and no one else', async () => {
    // The producer publishes to the contract topics, shared with other runs: start this test's
    // group at their current end instead of reading their whole history.
    const iso = { ...isolation(), userTopic: EVENT_TOPICS[0], tokenTopic: EVENT_TOPICS[1] };
    await startGroupAtEnd(iso.groupId, EVENT_TOPICS);
    const producer = await startServiceProcess({
      cwd: `${import.meta.dirname}/../../producer`,
      env: { REDIS_KEY_PREFIX: `${uniqueName('producer')}:`, SCRYPT_COST: '1024' },
    });
    const consumer = await startTestConsumer(iso);
    try {
      const username = uniqueName('ada').toLowerCase().slice(0, 40);
      const created = await graphql<{ createUser: { id: string } }>(
        `${producer.url}/producer-svc`,
        `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`,
        {
          input: {
            username,
            email: `${username}@example.com`,
            password: 'correct horse battery staple',
            firstName: 'Ada',
          },
        },
        { timeoutMs: PRODUCER_MUTATION_TIMEOUT_MS },
      );
      expect(created.errors).toBeUndefined();
      const id = created.data?.createUser.id as string;
      const login = await graphql<{ login: { token: string } }>(
        `${producer.url}/producer-svc`,
        `mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
        {
          u: username,
          p: 'correct horse battery staple',
        },
        { timeoutMs: PRODUCER_MUTATION_TIMEOUT_MS },
      );
      expect(login.errors).toBeUndefined();
      // The login token reads its own user on the consumer (both services share TOKEN_SECRET).
      const token = login.data?.login.token as string;

      const user = await waitFor(
        async () => {
          const { data } = await graphql<{ user: Record<string, unknown> | null }>(
            consumer.url,
            `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`,
            { id },
            { token },
          );
          return data?.user?.tokensIssued === 1 ? data.user : undefined;
        },
        { timeoutMs: 15_000, description: 'the user and their token in the view' },
      );
      expect(user).toMatchObject({
        id,
        username,
        firstName: 'Ada',
        lastName: null,
        tokensIssued: 1,
      });
      const other = await graphql(
        consumer.url,
        'query($id: ID!) { user(id: $id) { id } }',
        { id: `${id}-other` },
        { token },
      );
      expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await consumer.close();
      await producer.stop();
    }
  }, 60_000);
});
