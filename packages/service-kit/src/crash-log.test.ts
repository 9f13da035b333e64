import { spawnSync } from 'node:child_process';

/**
 * A process that logs as the services do, routes its crashes with logUncaughtErrors, then
 * `crash`es: its exit code and its output, each stdout line parsed.
 */
function crashingProcess(crash: string) {
  const script = `
    import { pino } from 'pino';
    import { logUncaughtErrors } from '@kafka-ecs/service-kit';
    logUncaughtErrors(pino(pino.destination({ fd: 1, sync: true })));
    ${crash}
  `;
  const result = spawnSync(
    process.execPath,
    ['--conditions=kafka-ecs-source', '--input-type=module', '--eval', script],
    { cwd: `${import.meta.dirname}/..`, encoding: 'utf8', timeout: 20_000 },
  );
  const lines = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { status: result.status, lines, stderr: result.stderr };
}

describe('uncaught errors in the log', () => {
  it.each([
    [
      'an uncaught exception',
      "setImmediate(() => { throw new Error('boom'); });",
      'uncaughtException',
    ],
    [
      'an unhandled rejection',
      "Promise.reject(new TypeError('nobody waits'));",
      'unhandledRejection',
    ],
  ])(
    'when %s ends the process, then one fatal JSON line names it before Node does',
    (_, crash, origin) => {
      const { status, lines, stderr } = crashingProcess(crash);

      expect(status).toBe(1);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 60,
          origin,
          msg: 'uncaught error: the process ends',
          err: expect.objectContaining({ message: expect.stringMatching(/^(boom|nobody waits)$/) }),
        }),
      ]);
      // Node still prints it and exits: the monitor changes nothing else.
      expect(stderr).toMatch(/boom|nobody waits/);
    },
  );
});
