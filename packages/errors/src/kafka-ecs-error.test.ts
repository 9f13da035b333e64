import { KafkaEcsError, retriableOf } from './kafka-ecs-error.ts';

class DependencyDown extends KafkaEcsError {}

describe('KafkaEcsError', () => {
  it('when raised without options, then it is not retriable and has no cause', () => {
    const error = new KafkaEcsError('bad input');
    expect(error.retriable).toBe(false);
    expect(error.cause).toBeUndefined();
    expect(error.name).toBe('KafkaEcsError');
    expect(error).toBeInstanceOf(Error);
  });

  it('when a subclass is raised as retriable with a cause, then it is named after its class and keeps flag and cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new DependencyDown('redis is down', { retriable: true, cause });
    expect({ name: error.name, retriable: error.retriable, cause: error.cause }).toEqual({
      name: 'DependencyDown',
      retriable: true,
      cause,
    });
    expect(retriableOf(error)).toBe(true);
  });

  it('when an error is not ours, then retriableOf reads its flag if it has one, else says nothing', () => {
    expect(retriableOf(Object.assign(new Error('x'), { retriable: false }))).toBe(false);
    expect(retriableOf({ name: 'KafkaJSConnectionError', retriable: true })).toBe(true);
    expect(retriableOf(new TypeError('bug'))).toBeUndefined();
    expect(retriableOf(undefined)).toBeUndefined();
  });
});
