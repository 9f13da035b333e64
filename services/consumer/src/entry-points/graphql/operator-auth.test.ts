import type { Caller } from './auth/bearer-authenticator.ts';
import { createOperatorGuard, type OperatorAuthSettings } from './operator-auth.ts';

const alice: Caller = { kind: 'operator', name: 'alice' };
const user: Caller = { kind: 'user', userId: 'u1', expiresAt: new Date(8.64e15) };
const none: Caller = { kind: 'none' };
const invalid: Caller = { kind: 'invalid' };

function guardWith(settings: Omit<OperatorAuthSettings, 'logger'>) {
  const logged: object[] = [];
  const guard = createOperatorGuard({ ...settings, logger: { info: (d) => logged.push(d) } });
  const code = (caller: Caller, action: 'read' | 'write') => {
    try {
      guard({ caller }, action, 'replayDeadLetter', { id: 'dl-1' });
      return 'allowed';
    } catch (error) {
      return (error as { extensions?: { code?: string } }).extensions?.code;
    }
  };
  return { code, logged };
}

describe('operator authorization', () => {
  it('when operators are configured, then only an operator may write, a user is forbidden, and reads follow the setting', () => {
    const strict = guardWith({ operatorsConfigured: true, production: true, readsNeedToken: true });
    expect(strict.code(alice, 'write')).toBe('allowed');
    expect(strict.code(alice, 'read')).toBe('allowed');
    expect(strict.code(none, 'write')).toBe('UNAUTHENTICATED');
    expect(strict.code(invalid, 'read')).toBe('UNAUTHENTICATED');
    expect(strict.code(user, 'write')).toBe('FORBIDDEN');
    expect(strict.code(user, 'read')).toBe('FORBIDDEN');
    const open = guardWith({ operatorsConfigured: true, production: false, readsNeedToken: false });
    expect(open.code(none, 'read')).toBe('allowed');
    expect(open.code(none, 'write')).toBe('UNAUTHENTICATED');
  });

  it('when no operator is configured, then operator operations are refused in production and open elsewhere', () => {
    const production = guardWith({
      operatorsConfigured: false,
      production: true,
      readsNeedToken: true,
    });
    expect(production.code(alice, 'write')).toBe('FORBIDDEN');
    expect(production.code(none, 'read')).toBe('FORBIDDEN');
    const development = guardWith({
      operatorsConfigured: false,
      production: false,
      readsNeedToken: false,
    });
    expect(development.code(none, 'write')).toBe('allowed');
  });

  it('when an operation is allowed, then the log names its actor and the operation, and refusals log nothing', () => {
    const { code, logged } = guardWith({
      operatorsConfigured: true,
      production: true,
      readsNeedToken: true,
    });
    code(alice, 'write');
    code(none, 'write');
    expect(logged).toEqual([
      { id: 'dl-1', actor: 'alice', action: 'write', operation: 'replayDeadLetter' },
    ]);
  });
});
