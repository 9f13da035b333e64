import { createServer, type Server } from 'node:net';
import { ephemeralStart, freePort } from './free-port.ts';

describe('freePort', () => {
  it('then every port is below the ephemeral range, distinct, and can be listened on', async () => {
    const start = ephemeralStart();
    // This machine's range leaves room below it (Linux's default does); else the guard is off.
    expect(start).toBeGreaterThan(21_000);
    const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(new Set(ports).size).toBe(50);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(start);
    }
    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it('when the kernel names its range, then its first port bounds ours; when unreadable, then 32768', () => {
    expect(ephemeralStart(() => '40000\t60999\n')).toBe(40_000);
    expect(ephemeralStart(() => '1024 65535')).toBe(1_024);
    expect(ephemeralStart(() => 'nonsense')).toBe(32_768);
    expect(
      ephemeralStart(() => {
        throw new Error('ENOENT');
      }),
    ).toBe(32_768);
  });
});
