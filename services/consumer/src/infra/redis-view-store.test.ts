import {
  type ChangeToApply,
  decodeUsersCursor,
  encodeUsersCursor,
  packChanges,
  SCRIPT_CHANGES_MAX,
  scriptCalls,
  toUserView,
} from './redis-view-store.ts';

// The store's pure pieces only. Its writes and reads are a Lua script and pipelines whose
// behaviour is Redis's own (atomic dedup, ordering, replies), so the store itself is tested
// against real Redis (test/view.test.ts, test/redis-outage.test.ts), never against a double.

describe('the users cursor', () => {
  it('when a cursor was issued for an index member, then it decodes back to that member', () => {
    const member = '2026-01-01T00:00:01.000Z|user-ä/1';
    const cursor = encodeUsersCursor(member);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeUsersCursor(cursor)).toBe(member);
  });

  it('when a cursor is not one the store issued, then it decodes to null', () => {
    for (const cursor of [
      'not-a-cursor!',
      '',
      encodeUsersCursor('user-1'),
      encodeUsersCursor('2026-01-01|user-1'),
      encodeUsersCursor('2026-01-01T00:00:01.000Z|'),
    ]) {
      expect(decodeUsersCursor(cursor)).toBeNull();
    }
  });
});

describe('toUserView', () => {
  it('when the hash has a profile, then it is the API type with counts as numbers and absent names as null', () => {
    expect(
      toUserView({
        id: 'u1',
        username: 'ada',
        email: 'ada@example.com',
        createdAt: '2026-01-01T00:00:00.000Z',
        indexMember: '2026-01-01T00:00:00.000Z|u1',
        tokensIssued: '3',
        lastTokenIssuedAt: '2026-01-02T00:00:00.000Z',
      }),
    ).toEqual({
      id: 'u1',
      username: 'ada',
      email: 'ada@example.com',
      firstName: null,
      lastName: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      tokensIssued: 3,
      lastTokenIssuedAt: '2026-01-02T00:00:00.000Z',
    });
  });

  it('when only tokens were applied (the profile comes later), then there is no user yet', () => {
    expect(toUserView({ tokensIssued: '2', lastTokenIssuedAt: '2026-01-02T00:00:00.000Z' })).toBe(
      null,
    );
    expect(toUserView({})).toBeNull();
  });
});

describe('how changes are split into script calls', () => {
  const token = (userId: string, offset: number): ChangeToApply => ({
    eventId: `e-${userId}-${offset}`,
    eventType: 'issued-token',
    change: { kind: 'token-issued', userId, issuedAt: '2026-01-01T00:00:00.000Z' },
    position: { topic: 'issued-token', partition: 0, offset: String(offset) },
  });
  // Users interleaved, and one with more changes than a call takes.
  const changes = Array.from({ length: 1_400 }, (_, i) =>
    token(i % 3 === 0 ? 'busy' : `user-${i % 400}`, i),
  );
  const usersOf = (call: number[]) => new Set(call.map((i) => changes[i]?.change.userId));

  it.each([
    ['a single Redis', false],
    ['a cluster', true],
  ])(
    'on %s, each user is in exactly one call, its changes in order, and every change once',
    (_name, cluster) => {
      const calls = scriptCalls(changes, cluster);
      expect(calls.flat().sort((a, b) => a - b)).toEqual(changes.map((_change, i) => i));
      const callOf = new Map<string, number>();
      calls.forEach((call, c) => {
        for (const user of usersOf(call)) {
          expect(callOf.has(user as string)).toBe(false);
          callOf.set(user as string, c);
        }
        const busy = call.filter((i) => changes[i]?.change.userId === 'busy');
        expect(busy).toEqual([...busy].sort((a, b) => a - b));
      });
      for (const call of calls) {
        if (cluster) expect(usersOf(call).size).toBe(1);
        else if (usersOf(call).size > 1)
          expect(call.length).toBeLessThanOrEqual(SCRIPT_CHANGES_MAX);
      }
    },
  );
});

describe("the script's packed values", () => {
  // What the script reads: per value, its UTF-8 byte count as 4 bytes big-endian, then the bytes.
  const expected = (values: string[]) =>
    Buffer.concat(
      values.flatMap((value) => {
        const bytes = Buffer.from(value, 'utf8');
        const length = Buffer.alloc(4);
        length.writeUInt32BE(bytes.length);
        return [length, bytes];
      }),
    );

  it.each([
    ['ASCII values, empty ones among them', ['1', 'new-user-created/3', '', '=Ada', '\u007f']],
    ['a value longer than 255 bytes', ['x'.repeat(300), 'y'.repeat(65_536)]],
    ['a non-ASCII name after ASCII values', ['1', 'profile', '=Zoë', 'a']],
    ['the first code past ASCII', ['\u0080']],
    ['a character outside the BMP', ['=😀', 'b']],
    ['three-byte characters only, the most bytes a character takes', ['€'.repeat(100), '中文']],
    ['a lone surrogate', ['=\uD800x']],
    ['no values', []],
  ])('when the values are %s, then each is its UTF-8 length and bytes', (_, values) => {
    expect(packChanges(values).equals(expected(values))).toBe(true);
  });
});
