import { createEvent } from '@kafka-ecs/events';
import { withFaultInjection } from './fault-injection.ts';
import { eventHandlers } from './index.ts';

const user = (username: string) =>
  createEvent('new-user-created', {
    id: `id-${username}`,
    username,
    email: `${username}@example.com`,
    firstName: null,
    lastName: null,
    createdAt: '2026-01-01T00:00:00.000Z',
  });

describe('fault injection', () => {
  it('when N failures are configured, then a matching event fails its first N attempts and then applies', () => {
    const handlers = withFaultInjection(eventHandlers, { usernamePattern: /^flaky/, failures: 2 });
    const event = user('flaky-ann');
    expect(() => handlers['new-user-created'](event, { attempt: 1 })).toThrow(
      'injected failure for flaky-ann (attempt 1, FAULT_INJECT_FAILURES=2)',
    );
    expect(() => handlers['new-user-created'](event, { attempt: 2 })).toThrow(/attempt 2/);
    expect(handlers['new-user-created'](event, { attempt: 3 })).toMatchObject({
      kind: 'profile',
      userId: 'id-flaky-ann',
    });
  });

  it('when failures is always, then a matching event never applies and others are untouched', () => {
    const handlers = withFaultInjection(eventHandlers, {
      usernamePattern: /^flaky/,
      failures: 'always',
    });
    expect(() => handlers['new-user-created'](user('flaky-bob'), { attempt: 99 })).toThrow(
      expect.objectContaining({ name: 'InjectedFaultError', retriable: true }),
    );
    expect(handlers['new-user-created'](user('steady'), { attempt: 1 })).toMatchObject({
      kind: 'profile',
    });
  });
});
