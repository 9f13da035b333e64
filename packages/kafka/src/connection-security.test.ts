import { createServer } from 'node:net';
import { waitFor } from '@kafka-ecs/testing';
import {
  createKafkaConnection,
  KAFKA_LIBRARIES,
  type KafkaConnection,
  type KafkaLibrary,
  type KafkaSecurity,
} from './index.ts';

// A listener that records the first byte of each connection and hangs up: a TLS connection
// opens with a handshake record (0x16), a plaintext Kafka request with its length (0x00).
const TLS_HANDSHAKE = 0x16;
const quiet = () => {};
const logger = { debug: quiet, info: quiet, warn: quiet, error: quiet };
const closers: (() => Promise<void>)[] = [];
afterAll(() => Promise.all(closers.map((close) => close())));

/** A connection to a listener of its own, and the first byte of each connection it opens. */
async function connectionToListener(library: KafkaLibrary, security?: KafkaSecurity) {
  const firstBytes: number[] = [];
  const server = createServer((socket) => {
    socket.once('data', (chunk) => {
      firstBytes.push(chunk[0] as number);
      socket.destroy();
    });
    socket.on('error', quiet);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const { port } = server.address() as { port: number };
  const kafka: KafkaConnection = createKafkaConnection({
    brokers: [`127.0.0.1:${port}`],
    clientId: 'security-test',
    logger,
    security,
    library,
  });
  return { kafka, firstBytes };
}

/**
 * Runs `use` (which fails: the listener hangs up) until the client library gives up, and
 * returns the first bytes of the connections it opened.
 */
async function firstBytesOf(
  library: KafkaLibrary,
  security: KafkaSecurity | undefined,
  use: (kafka: KafkaConnection) => Promise<unknown>,
): Promise<number[]> {
  const { kafka, firstBytes } = await connectionToListener(library, security);
  await use(kafka).catch(quiet);
  await waitFor(() => firstBytes.length > 0, { timeoutMs: 1_000, description: 'a connection' });
  return firstBytes;
}

const publisherProbe = async (kafka: KafkaConnection) => {
  const publisher = kafka.publisher({ sendTimeoutMs: 1_500 });
  await publisher.isReady();
  await publisher.stop();
};

describe.each(KAFKA_LIBRARIES)('a connection on %s with security settings', (library) => {
  it('when TLS is off, then the clients speak plaintext (the listener tells them apart)', async () => {
    const bytes = await firstBytesOf(library, undefined, publisherProbe);
    expect(bytes.some((byte) => byte === TLS_HANDSHAKE)).toBe(false);
  });

  it('when TLS is on, then the publisher, the topic admin and the shared client all open with TLS', async () => {
    const security: KafkaSecurity = { ssl: true };
    // In parallel: the admin clients retry their connection for seconds before giving up.
    const opened = await Promise.all([
      firstBytesOf(library, security, publisherProbe),
      firstBytesOf(library, security, (kafka) => kafka.ensureTopics([])),
      // On kafkajs consumers, transactions and the group admin share one client, and the group
      // admin stands for all three; @platformatic/kafka's pieces build theirs from the same
      // settings.
      firstBytesOf(library, security, async (kafka) => {
        const admin = kafka.groupAdmin();
        await admin.endOffsets(['any-topic']).finally(() => admin.disconnect());
      }),
    ]);
    for (const bytes of opened) {
      expect(bytes.length).toBeGreaterThan(0);
      expect(bytes.every((byte) => byte === TLS_HANDSHAKE)).toBe(true);
    }
  });
});
