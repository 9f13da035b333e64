import { newUserData } from '../test/support/event-data.ts';
import { createEvent, decodeEvent, EventDecodeError, encodeEvent, topicOf } from './index.ts';

const user = newUserData;

const reasonOf = (value: Buffer | string | null): string => {
  try {
    decodeEvent(value);
  } catch (error) {
    if (error instanceof EventDecodeError) return error.reason;
    throw error;
  }
  throw new Error('decoded');
};

describe('event codec', () => {
  it('when an event is encoded, then it decodes to the same event', () => {
    const event = createEvent('new-user-created', user);
    expect(event).toMatchObject({ type: 'new-user-created', version: 1, data: user });
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
    expect(topicOf('new-user-created')).toBe('new-user-created');
    expect(topicOf('issued-token')).toBe('issued-token');
  });

  it('when data carries an extra field such as a password, then creating the event refuses it', () => {
    expect(() =>
      createEvent('new-user-created', { ...user, password: 'secret' } as typeof user),
    ).toThrow();
  });

  it('when a record is not an event, then decoding says why, without retrying', () => {
    const valid = JSON.parse(encodeEvent(createEvent('new-user-created', user)).toString());
    expect(reasonOf('{not json')).toBe('malformed-json');
    expect(reasonOf(Buffer.from([0xff, 0xfe, 0x7b]))).toBe('malformed-json');
    expect(reasonOf(null)).toBe('malformed-json');
    expect(reasonOf(JSON.stringify({ ...valid, id: 'not-a-uuid' }))).toBe('invalid-envelope');
    expect(reasonOf(JSON.stringify({ ...valid, type: 'user-deleted' }))).toBe('unknown-type');
    expect(reasonOf(JSON.stringify({ ...valid, version: 2 }))).toBe('unknown-type');
    expect(reasonOf(JSON.stringify({ ...valid, data: { ...user, email: 'nope' } }))).toBe(
      'invalid-data',
    );
  });
});
