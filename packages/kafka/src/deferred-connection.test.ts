import type { KafkaConnection } from './connection.ts';
import { createDeferredConnection } from './deferred-connection.ts';

// The deferral's own logic, with a stand-in connection: the library behind it is tested on a
// real broker in test/ (batch-consumer, publisher, transactional-producer on both libraries).

const OPTIONS = { brokers: ['127.0.0.1:1'], clientId: 'deferred-test', logger: console };

function standIn() {
  const calls: string[] = [];
  const connection = {
    brokers: OPTIONS.brokers,
    publisher: () => ({
      publish: async () => void calls.push('publish'),
      start: async () => void calls.push('publisher.start'),
      isReady: async () => true,
      stop: async () => void calls.push('publisher.stop'),
    }),
    batchConsumer: () => ({
      start: async () => void calls.push('consumer.start'),
      stop: async () => void calls.push('consumer.stop'),
      isJoined: () => true,
      assignment: () => ({ topic: [0] }),
      lag: async () => [],
    }),
  } as unknown as KafkaConnection;
  let loads = 0;
  const load = async () => {
    loads += 1;
    return () => connection;
  };
  return { calls, load, loads: () => loads };
}

/** A deferred connection over `load`, with a publisher and a consumer made from it. */
function pieces(load: Parameters<typeof createDeferredConnection>[1]) {
  const kafka = createDeferredConnection(OPTIONS, load);
  const publisher = kafka.publisher();
  const consumer = kafka.batchConsumer({
    groupId: 'g',
    topics: ['t'],
    handleBatch: async () => undefined,
  });
  return { kafka, publisher, consumer };
}

describe('a connection whose client library loads on first use', () => {
  it('when pieces are made but not used, then nothing is loaded, a consumer owns nothing, and stopping them does nothing', async () => {
    const { calls, load, loads } = standIn();
    const { kafka, publisher, consumer } = pieces(load);

    expect(consumer.isJoined()).toBe(false);
    expect(consumer.assignment()).toEqual({});
    await publisher.stop();
    await consumer.stop();
    expect(kafka.isKafkaError(Object.assign(new Error('x'), { code: 'PLT_KFK_NETWORK' }))).toBe(
      true,
    );
    expect(kafka.isKafkaError(new Error('x'))).toBe(false);

    // Stopped before use: a late call opens nothing.
    await expect(
      publisher.publish({ topic: 't', key: 'k', value: Buffer.from('v') }),
    ).rejects.toThrow('the publisher is stopped');
    await expect(consumer.lag()).rejects.toThrow('the batch consumer is stopped');

    expect(loads()).toBe(0);
    expect(calls).toEqual([]);
  });

  it('when the library fails to load, then the call fails and the next one tries again', async () => {
    const { load } = standIn();
    let fail = true;
    const kafka = createDeferredConnection(OPTIONS, () =>
      fail ? Promise.reject(new Error('cannot load')) : load(),
    );
    const publisher = kafka.publisher();

    await expect(publisher.start()).rejects.toThrow('cannot load');
    fail = false;
    await expect(publisher.isReady()).resolves.toBe(true);
  });

  it('when pieces are used, then the library is loaded once and every call reaches the real piece', async () => {
    const { calls, load, loads } = standIn();
    const { publisher, consumer } = pieces(load);

    await Promise.all([
      publisher.publish({ topic: 't', key: 'k', value: Buffer.from('v') }),
      consumer.start(),
    ]);
    expect(consumer.isJoined()).toBe(true);
    expect(consumer.assignment()).toEqual({ topic: [0] });
    await publisher.stop();
    await consumer.stop();

    expect(loads()).toBe(1);
    expect(calls.sort()).toEqual(['consumer.start', 'consumer.stop', 'publish', 'publisher.stop']);
  });
});
