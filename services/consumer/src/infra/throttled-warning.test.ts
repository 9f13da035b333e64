import { throttledWarning } from './throttled-warning.ts';

/** A clock and a timer queue the test moves by hand. */
function manualTime() {
  let clock = 0;
  const timers: { at: number; run: () => void; cancelled: boolean }[] = [];
  return {
    now: () => clock,
    schedule: (run: () => void, ms: number) => {
      const timer = { at: clock + ms, run, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    advance(ms: number) {
      clock += ms;
      for (const timer of timers.splice(0)) {
        if (timer.cancelled) continue;
        if (timer.at <= clock) timer.run();
        else timers.push(timer);
      }
    },
  };
}

describe('throttledWarning', () => {
  it('when it happens often, then one line a minute at most, each with how many times since the last, the last burst too', () => {
    const time = manualTime();
    const lines: [object, string][] = [];
    const warn = throttledWarning(
      { warn: (details, message) => lines.push([details, message]) },
      'refused',
      time,
    );
    warn({ max: 2 });
    for (let i = 0; i < 5; i += 1) {
      time.advance(10_000);
      warn({ max: 2 });
    }
    expect(lines).toEqual([[{ max: 2, count: 1 }, 'refused']]);
    // The minute ends: the five since the first line are told, and nothing more after.
    time.advance(10_000);
    expect(lines).toEqual([
      [{ max: 2, count: 1 }, 'refused'],
      [{ max: 2, count: 5 }, 'refused'],
    ]);
    time.advance(120_000);
    expect(lines).toHaveLength(2);
    // A quiet while later, the next one is logged at once.
    warn({ max: 2 });
    expect(lines.at(-1)).toEqual([{ max: 2, count: 1 }, 'refused']);
  });
});
