import { MultipleErrors, ProtocolError, ResponseError, UserError } from '@platformatic/kafka';
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { notYetPlatformatic } from './platformatic/topic-admin.ts';
import { notYetKafkajs, untilKnown, waitForLeaders } from './topic-admin.ts';

const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
  type: 'UNKNOWN_TOPIC_OR_PARTITION',
});
const notYet = (error: Error) => (error as { type?: string }).type === unknownTopic.type;

/** A probe answering each call from `answers` in turn: a boolean, or an error to throw. */
const probeOf = (answers: (boolean | Error)[]) => {
  const probe = Object.assign(
    async () => {
      const answer = answers[Math.min(probe.calls, answers.length - 1)];
      probe.calls += 1;
      if (answer instanceof Error) throw answer;
      return answer as boolean;
    },
    { calls: 0 },
  );
  return probe;
};

describe('waitForLeaders', () => {
  it('when the broker does not know the topic yet, then it asks again until every partition is led', async () => {
    const probe = probeOf([unknownTopic, false, true]);
    await waitForLeaders(probe, notYet, 5_000);
    expect(probe.calls).toBe(3);
  });

  it('when the probe fails for another reason, then that error ends the wait', async () => {
    const denied = new Error('Topic authorization failed');
    const probe = probeOf([unknownTopic, denied, true]);
    await expect(waitForLeaders(probe, notYet, 5_000)).rejects.toBe(denied);
    expect(probe.calls).toBe(2);
  });

  it('when the topics stay without a leader past the bound, then it fails naming the bound', async () => {
    await expect(waitForLeaders(probeOf([false]), notYet, 250)).rejects.toThrow(
      'created topics have no leader after 250 ms',
    );
  });
});

describe('untilKnown', () => {
  it('when the broker keeps not knowing the topic past the bound, then its last answer is the error', async () => {
    let calls = 0;
    const attempt = async (): Promise<string> => {
      calls += 1;
      throw unknownTopic;
    };
    await expect(untilKnown(attempt, notYet, 'unknown', 250)).rejects.toBe(unknownTopic);
    expect(calls).toBeGreaterThan(1);
  });

  it('when the broker answers after a not-yet, then that answer is the result', async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      if (calls === 1) throw unknownTopic;
      return { resources: ['retention.ms'] };
    };
    await expect(untilKnown(attempt, notYet, 'unknown', 5_000)).resolves.toEqual({
      resources: ['retention.ms'],
    });
  });
});

/** A kafkajs protocol error as its response parsers build them. */
const kafkajsError = (type: string, code: number) =>
  new KafkaJSProtocolError(
    Object.assign(new Error(type), { type, code, retriable: true }) as unknown as Error,
  );

describe("the clients' not-yet errors", () => {
  it('when kafkajs answers an unknown topic or a missing leader, also once its retries ran out, then it is not yet', () => {
    const unknown = kafkajsError('UNKNOWN_TOPIC_OR_PARTITION', 3);
    expect(notYetKafkajs(unknown)).toBe(true);
    expect(notYetKafkajs(kafkajsError('LEADER_NOT_AVAILABLE', 5))).toBe(true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 5, retryTime: 1 });
    expect(notYetKafkajs(exhausted)).toBe(true);
  });

  it('when kafkajs answers anything else, then it is the answer', () => {
    expect(notYetKafkajs(kafkajsError('TOPIC_AUTHORIZATION_FAILED', 29))).toBe(false);
    expect(notYetKafkajs(new Error('Connection timeout'))).toBe(false);
  });

  it('when @platformatic/kafka answers an unknown topic, a missing leader in a response, or its own "Unknown topic", then it is not yet', () => {
    expect(notYetPlatformatic(new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION'))).toBe(true);
    const response = new ResponseError(1, 12, { '/topics/0': [5, null] }, {});
    expect(notYetPlatformatic(response)).toBe(true);
    expect(notYetPlatformatic(new UserError('Unknown topic t1.'))).toBe(true);
    const inAggregate = new MultipleErrors('Listing topics failed.', [
      new UserError('Unknown topic t1.'),
    ]);
    expect(notYetPlatformatic(inAggregate)).toBe(true);
  });

  it('when @platformatic/kafka answers anything else, then it is the answer', () => {
    expect(notYetPlatformatic(new ProtocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(notYetPlatformatic(new UserError('Invalid topics.'))).toBe(false);
  });
});
