import { decodeEvent } from '@kafka-ecs/events';
import { createdUserId, createUserBody, userCreatedRecord } from './fixtures.ts';

describe('userCreatedRecord', () => {
  it('when made, then it is a valid new-user-created event of about 300 bytes, keyed by user id', () => {
    const record = userCreatedRecord('bench-abc123-', 42);
    const event = decodeEvent(record.value);
    expect(event.type).toBe('new-user-created');
    expect(record.key).toBe(event.type === 'new-user-created' ? event.data.id : '');
    expect(record.value.length).toBeGreaterThanOrEqual(270);
    expect(record.value.length).toBeLessThanOrEqual(330);
  });

  it('when made twice, then user and event ids differ', () => {
    const a = decodeEvent(userCreatedRecord('p-', 1).value);
    const b = decodeEvent(userCreatedRecord('p-', 1).value);
    expect(a.id).not.toBe(b.id);
  });
});

describe('createUserBody / createdUserId', () => {
  it('when the answer has data, then the id is read; an error answer gives undefined', () => {
    expect(JSON.parse(createUserBody('u-1')).variables.input.username).toBe('u-1');
    expect(createdUserId('{"data":{"createUser":{"id":"abc"}}}')).toBe('abc');
    expect(createdUserId('{"errors":[{"message":"x"}],"data":null}')).toBeUndefined();
    expect(createdUserId('not json')).toBeUndefined();
  });
});
