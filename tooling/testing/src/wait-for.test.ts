import { uniqueName } from './unique-name.ts';
import { waitFor } from './wait-for.ts';

describe('waitFor', () => {
  it('when the probe becomes truthy, then it returns that value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { intervalMs: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('when the probe never holds, then it rejects after the bound with the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 50, intervalMs: 5, description: 'the thing' },
      ),
    ).rejects.toThrow('waitFor: the thing not met within 50 ms; last error: not yet');
  });
});

describe('uniqueName', () => {
  it('then names differ and are valid Kafka topic names', () => {
    const names = new Set(Array.from({ length: 100 }, () => uniqueName('a topic/with junk')));
    expect(names.size).toBe(100);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9._-]+$/);
  });
});
