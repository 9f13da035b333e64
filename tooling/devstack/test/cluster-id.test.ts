import { newClusterId } from '../src/kafka-broker.ts';

describe('newClusterId', () => {
  it('when ids are made, then each is 22 URL-safe characters and none starts with "-"', () => {
    // One id in 64 would start with '-' by chance, which kafka-storage refuses as a value.
    const ids = Array.from({ length: 5_000 }, newClusterId);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
