import { Repeater } from '@graphql-yoga/subscription';
import type { GraphQLError } from 'graphql';
import { endWhenBehind } from './subscriber-bound.ts';

/** A source the test pushes into, and whether the bound released it. */
function controlledSource() {
  let push: (value: number) => Promise<unknown> = async () => undefined;
  let released = false;
  const source = new Repeater<number>(async (next, stop) => {
    push = next;
    await stop;
    released = true;
  });
  return { source, push: (value: number) => push(value), released: () => released };
}

/** Lets the repeaters pass what they hold along (they hand values over in microtasks). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('endWhenBehind', () => {
  it('passes every value, in order, to a reader that keeps up', async () => {
    const { source, push } = controlledSource();
    const bounded = endWhenBehind(source, { waitingMax: 2 });
    const read: number[] = [];
    const reading = (async () => {
      for await (const value of bounded) {
        read.push(value);
        if (read.length === 10) break;
      }
    })();
    await settle();
    for (let value = 1; value <= 10; value += 1) {
      void push(value);
      await settle();
    }
    await reading;
    expect(read).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('ends a reader that stopped reading once more than the bound wait, after what waited, and releases the source', async () => {
    const { source, push, released } = controlledSource();
    const bounded = endWhenBehind(source, { waitingMax: 3 });
    // The first read starts the source; then the reader stops reading.
    const first = bounded.next();
    await settle();
    for (let value = 1; value <= 10; value += 1) void push(value);
    await settle();
    expect(await first).toEqual({ value: 1, done: false });
    expect(released()).toBe(true);

    const rest: number[] = [];
    let ended: GraphQLError | undefined;
    try {
      for await (const value of bounded) rest.push(value);
    } catch (error) {
      ended = error as GraphQLError;
    }
    expect(rest).toEqual([2, 3, 4]);
    expect(ended?.extensions.code).toBe('SUBSCRIBER_BEHIND');
    expect(ended?.message).toMatch(/more than 3 notifications behind/);
  });

  it('ends with the error of a source that fails, and a release that fails is not left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let read = 0;
      const failing: AsyncIterable<number> = {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            read += 1;
            if (read === 1) return { value: 1, done: false };
            throw new Error('token expired');
          },
          return: async () => {
            throw new Error('release failed');
          },
        }),
      };
      const values: number[] = [];
      let ended: Error | undefined;
      try {
        for await (const value of endWhenBehind(failing, { waitingMax: 3 })) values.push(value);
      } catch (error) {
        ended = error as Error;
      }
      expect(values).toEqual([1]);
      expect(ended?.message).toBe('token expired');
      await settle();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('releases the source when the reader leaves', async () => {
    const { source, push, released } = controlledSource();
    const bounded = endWhenBehind(source, { waitingMax: 3 });
    const first = bounded.next();
    await settle();
    void push(1);
    expect(await first).toEqual({ value: 1, done: false });
    await bounded.return?.();
    await settle();
    expect(released()).toBe(true);
  });

  it('ends at its end with that error, whatever is published, and a far end (past the timer limit) does not end it early', async () => {
    const soon = controlledSource();
    const ending = endWhenBehind(soon.source, {
      endAt: { at: new Date(Date.now() + 100), error: () => new Error('token expired') },
    });
    await expect(ending.next()).rejects.toThrow('token expired');
    expect(soon.released()).toBe(true);

    const far = controlledSource();
    const lasting = endWhenBehind(far.source, {
      // 30 days: setTimeout fires at once past about 24.8 days; the end must be re-armed.
      endAt: { at: new Date(Date.now() + 30 * 86_400_000), error: () => new Error('too soon') },
    });
    const first = lasting.next();
    await settle();
    void far.push(1);
    expect(await first).toEqual({ value: 1, done: false });
    await settle();
    expect(far.released()).toBe(false);
    await lasting.return?.();
  });
});
