import type { ECSClient } from '@aws-sdk/client-ecs';
import { runCli } from '../src/cli.ts';
import type { Clock } from '../src/clock.ts';

/** A clock whose sleeps advance time at once: a 10-minute rollout wait takes no real time. */
export function fakeClock(start = Date.UTC(2026, 10, 21, 10, 0, 0)): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

/** `--app APP --env ENV [--service SERVICE]`: the flags that name what a command acts on. */
export function targetArgs(app: string, env: string, service?: string): string[] {
  return ['--app', app, '--env', env, ...(service === undefined ? [] : ['--service', service])];
}

/** Runs the CLI in process and collects what it printed. */
export async function runCliForTest(
  ecs: Pick<ECSClient, 'send'>,
  argv: string[],
  clock: Clock = fakeClock(),
): Promise<{ exitCode: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const exitCode = await runCli(argv, {
    ecs,
    clock,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { exitCode, out: out.join('\n'), err: err.join('\n') };
}
