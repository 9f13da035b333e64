import { createOperatorGuard } from './operator-auth.ts';

const token = 'operator-token-0123456789';
const code = (run: () => void) => {
  try {
    run();
    return 'allowed';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('operator authorization', () => {
  it('when a token is configured, then only Bearer <token> may replay, and reads follow the setting', () => {
    const guard = createOperatorGuard({
      adminToken: token,
      production: true,
      readsNeedToken: true,
    });
    expect(code(() => guard({ authorization: `Bearer ${token}` }, 'write'))).toBe('allowed');
    expect(code(() => guard({ authorization: `bearer ${token}` }, 'read'))).toBe('allowed');
    expect(code(() => guard({}, 'write'))).toBe('UNAUTHENTICATED');
    expect(code(() => guard({ authorization: `Bearer ${token}x` }, 'write'))).toBe(
      'UNAUTHENTICATED',
    );
    expect(code(() => guard({ authorization: token }, 'read'))).toBe('UNAUTHENTICATED');
    const open = createOperatorGuard({
      adminToken: token,
      production: false,
      readsNeedToken: false,
    });
    expect(code(() => open({}, 'read'))).toBe('allowed');
    expect(code(() => open({}, 'write'))).toBe('UNAUTHENTICATED');
  });

  it('when no token is configured, then operator mutations are refused in production and open elsewhere', () => {
    const production = createOperatorGuard({ production: true, readsNeedToken: true });
    expect(code(() => production({ authorization: 'Bearer anything' }, 'write'))).toBe('FORBIDDEN');
    expect(code(() => production({}, 'read'))).toBe('FORBIDDEN');
    const development = createOperatorGuard({ production: false, readsNeedToken: false });
    expect(code(() => development({}, 'write'))).toBe('allowed');
  });
});
