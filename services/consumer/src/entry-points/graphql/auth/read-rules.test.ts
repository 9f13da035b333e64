import type { Caller } from './bearer-authenticator.ts';
import { authorizeUserList, authorizeUserRead, notificationFilter } from './read-rules.ts';

const operator: Caller = { kind: 'operator', name: 'alice' };
const user: Caller = { kind: 'user', userId: 'u1', expiresAt: new Date(10_000) };

const codeOf = (run: () => unknown) => {
  try {
    run();
    return 'allowed';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('who may read which user', () => {
  it('when a user token reads users, then only its own user is allowed and the list is forbidden', () => {
    expect(codeOf(() => authorizeUserRead(user, 'u1'))).toBe('allowed');
    expect(codeOf(() => authorizeUserRead(user, 'u2'))).toBe('FORBIDDEN');
    expect(codeOf(() => authorizeUserList(user))).toBe('FORBIDDEN');
  });

  it('when an operator reads, then every user and the list are allowed', () => {
    expect(codeOf(() => authorizeUserRead(operator, 'u2'))).toBe('allowed');
    expect(codeOf(() => authorizeUserList(operator))).toBe('allowed');
  });

  it('when there is no token or an invalid one, then every read is unauthenticated', () => {
    for (const caller of [{ kind: 'none' }, { kind: 'invalid' }] as Caller[]) {
      expect(codeOf(() => authorizeUserRead(caller, 'u1'))).toBe('UNAUTHENTICATED');
      expect(codeOf(() => authorizeUserList(caller))).toBe('UNAUTHENTICATED');
      expect(codeOf(() => notificationFilter(caller))).toBe('UNAUTHENTICATED');
    }
  });

  it('when notifications arrive, then a user gets its own until its token expires, an operator all', () => {
    let now = 5_000;
    const own = notificationFilter(user, () => now);
    expect(own({ id: 'u1' })).toBe(true);
    expect(own({ id: 'u2' })).toBe(false);
    now = 10_000;
    expect(codeOf(() => own({ id: 'u1' }))).toBe('UNAUTHENTICATED');
    expect(notificationFilter(operator)({ id: 'u2' })).toBe(true);
  });
});
