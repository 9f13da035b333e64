import { z } from 'zod';
import { normalInstant } from './instant.ts';

// What the events' schemas accept as an instant (z.iso.datetime()), so only such strings count.
const instant = z.iso.datetime();

describe('normalInstant', () => {
  it('when an instant is spelt as Date#toISOString spells it, then it is returned as Date would print it', () => {
    const times = [
      0,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999), // a leap day's last millisecond
      Date.UTC(2026, 11, 31, 23, 59, 59, 0),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      ...Array.from({ length: 2_000 }, (_, i) => Math.floor(((i * 7_919) % 2_000) * 1.3e8 * 97)),
    ];
    for (const time of times) {
      const spelt = new Date(time).toISOString();
      expect(instant.safeParse(spelt).success).toBe(true);
      expect(normalInstant(spelt)).toBe(spelt);
    }
  });

  it('when an instant is spelt another way the schemas accept, then it is spelt the one way', () => {
    const spellings: [string, string][] = [
      ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
      ['2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.500Z'],
      ['2026-01-01T00:00:00.123456Z', '2026-01-01T00:00:00.123Z'],
    ];
    for (const [given, normal] of spellings) {
      expect(instant.safeParse(given).success).toBe(true);
      expect(normalInstant(given)).toBe(normal);
    }
  });
});
