import { testInfrastructure, uniqueName } from '@kafka-ecs/testing';
import { Redis } from 'ioredis';
import { createRetryState } from '../src/retry-state.ts';

const redis = new Redis(testInfrastructure().redisUrl, { maxRetriesPerRequest: 1 });
afterAll(() => redis.quit());

describe('attempt counts', () => {
  const setup = () => {
    const state = createRetryState({ redis, prefix: uniqueName('retry-state') });
    return { state, key: state.keyOf('new-user-created', Buffer.from('{"id":"e-1"}')) };
  };

  it('when the same failure arrives through a second record, then it is counted once; the same record again (after a crash) is let through', async () => {
    const { state, key } = setup();
    expect(await state.claim(key, 1, '0:10', 60_000)).toBe(true);
    expect(await state.claim(key, 1, '0:10', 60_000)).toBe(true);
    expect(await state.claim(key, 1, '3:99', 60_000)).toBe(false);
    expect(await state.claim(key, 2, '0:11', 60_000)).toBe(true);
    expect(await state.claim(key, 1, '0:10', 60_000)).toBe(false);
    expect(await state.attempts(key)).toBe(2);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('when one batch holds two records of the same failure and the next one, then one round trip decides them in order', async () => {
    const { state, key } = setup();
    const claim = (attempt: number, ref: string) => ({ key, attempt, ref, expireMs: 60_000 });
    expect(await state.claimAll([claim(1, '0:1'), claim(1, '0:2'), claim(2, '0:3')])).toEqual([
      true,
      false,
      true,
    ]);
    expect(await state.claimAll([])).toEqual([]);
  });

  it('when a chain succeeded, then a late duplicate of one of its failures starts nothing', async () => {
    const { state, key } = setup();
    expect(await state.claim(key, 1, '0:10', 60_000)).toBe(true);
    await state.clear(key);
    expect(await state.attempts(key)).toBe(0);
    expect(await state.claim(key, 2, '0:12', 60_000)).toBe(false);
  });

  it('when a later failure was counted or the chain succeeded, then it is past the earlier attempts only', async () => {
    const { state, key } = setup();
    expect(await state.isPast(key, 1)).toBe(false);
    await state.claim(key, 2, '0:11', 60_000);
    expect(await state.isPast(key, 1)).toBe(true);
    expect(await state.isPast(key, 2)).toBe(false);
    expect(await state.isPast(key, 3)).toBe(false);
    await state.clear(key);
    expect(await state.isPast(key, 4)).toBe(true);
  });

  it('when the count expired (a retry outlived it), then the next failure still counts on from its header', async () => {
    const { state, key } = setup();
    expect(await state.claim(key, 3, '1:5', 60_000)).toBe(true);
    expect(await state.attempts(key)).toBe(3);
  });

  it('when the key is computed, then it depends on topic and value, not on the record key', () => {
    const { state } = setup();
    const value = Buffer.from('same bytes');
    expect(state.keyOf('a', value)).toBe(state.keyOf('a', Buffer.from('same bytes')));
    expect(state.keyOf('a', value)).not.toBe(state.keyOf('b', value));
    expect(state.keyOf('a', value)).toMatch(/:attempts:[0-9a-f]{64}$/);
  });
});
