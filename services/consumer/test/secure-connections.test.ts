import { randomBytes } from 'node:crypto';
import { EVENT_TOPICS } from '@kafka-ecs/events';
import {
  graphql,
  type ServiceProcess,
  startGroupAtEnd,
  startServiceProcess,
  uniqueName,
  waitFor,
} from '@kafka-ecs/testing';

// Both services started from their main.ts, the composition roots that turn the environment into
// Kafka and Redis clients, with this run's environment: the plain stack, or the secure one
// (`set -a; source .stack/secure.env; set +a`: SCRAM over TLS, a TLS Redis with a password).
// One flow crosses every kind of client: the producer's store, publisher and topic admin; the
// consumer's group, view, retry worker (BullMQ), transactional failure path and dead-letter index.

const SERVICES = `${import.meta.dirname}/../..`;
const ADMIN_TOKEN = `secure-test-${randomBytes(12).toString('hex')}`;
const MUTATION_TIMEOUT_MS = 15_000;

describe('secure connections from the composition roots', () => {
  const processes: ServiceProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((service) => service.stop()));
  });

  it('when both services run from main, then a user reaches the view, a failing one is retried and dead-lettered, and no log line holds a secret', async () => {
    const groupId = uniqueName('secure-consumer');
    // The producer writes to the contract topics, shared with other runs: this group starts at
    // their end instead of reading their history.
    await startGroupAtEnd(groupId, EVENT_TOPICS);
    const producer = await startServiceProcess({
      cwd: `${SERVICES}/producer`,
      env: { REDIS_KEY_PREFIX: `${uniqueName('producer')}:`, SCRYPT_COST: '1024' },
      startTimeoutMs: 60_000,
    });
    processes.push(producer);
    const consumer = await startServiceProcess({
      cwd: `${SERVICES}/consumer`,
      env: {
        CONSUMER_GROUP_ID: groupId,
        VIEW_KEY_PREFIX: uniqueName('secure-view'),
        RETRY_TOPIC: uniqueName('secure-retry'),
        DEAD_LETTER_TOPIC: uniqueName('secure-dead-letters'),
        ADMIN_TOKEN,
        // Three attempts 200 and 400 ms apart, then the dead-letter queue.
        FAULT_INJECT_USERNAME_PATTERN: '^doomed',
        RETRY_MAX_ATTEMPTS: '3',
        RETRY_BACKOFF_MS: '200',
        RETRY_BACKOFF_FACTOR: '2',
        RETRY_BACKOFF_MAX_MS: '1000',
      },
      startTimeoutMs: 60_000,
    });
    processes.push(consumer);
    const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    await waitFor(
      async () =>
        (await fetch(`${producer.url}/producer-svc/ready`)).status === 200 &&
        (await fetch(`${consumer.url}/ready`)).status === 200,
      { timeoutMs: 30_000, description: 'both services ready (Kafka and Redis reached)' },
    );

    const createUser = async (username: string) => {
      const result = await graphql<{ createUser: { id: string } }>(
        `${producer.url}/producer-svc/graphql`,
        'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
        {
          input: {
            username,
            email: `${username}@example.com`,
            password: 'correct horse battery staple',
            firstName: 'Ada',
          },
        },
        { timeoutMs: MUTATION_TIMEOUT_MS },
      );
      expect(result.errors).toBeUndefined();
      return result.data?.createUser.id as string;
    };
    const steady = await createUser(uniqueName('ada').toLowerCase().slice(0, 40));
    const doomed = await createUser(uniqueName('doomed').toLowerCase().slice(0, 40));

    await waitFor(
      async () => {
        const { data } = await graphql<{ user: { id: string } | null }>(
          `${consumer.url}/graphql`,
          'query($id: ID!) { user(id: $id) { id } }',
          { id: steady },
          { headers: asAdmin },
        );
        return data?.user?.id === steady;
      },
      { timeoutMs: 30_000, description: 'the user in the consumer view' },
    );
    const deadLetter = await waitFor(
      async () => {
        const { data } = await graphql<{
          deadLetters: { nodes: { key: string; reason: string; attempts: number }[] };
        }>(
          `${consumer.url}/graphql`,
          '{ deadLetters(topic: "new-user-created") { nodes { key reason attempts } } }',
          {},
          { headers: asAdmin },
        );
        return data?.deadLetters.nodes.find((node) => node.key === doomed);
      },
      { timeoutMs: 60_000, description: 'the failing user dead-lettered after its retries' },
    );
    expect(deadLetter).toMatchObject({ reason: 'exhausted', attempts: 3 });

    const secrets = [process.env.KAFKA_SASL_PASSWORD, urlPassword(process.env.REDIS_URL)].filter(
      (secret): secret is string => Boolean(secret),
    );
    // Both secrets on the secure stack (test:secure), none on the plain one: the check below
    // cannot pass there by having nothing to look for.
    const secure = (process.env.KAFKA_SASL_MECHANISM ?? 'none') !== 'none';
    expect(secrets).toHaveLength(secure ? 2 : 0);
    for (const line of [...producer.output, ...consumer.output]) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  }, 180_000);
});

function urlPassword(url: string | undefined): string | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  return decodeURIComponent(new URL(url).password) || undefined;
}
