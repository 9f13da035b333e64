import { pino } from 'pino';
import { routeConsoleToLogger } from './console-to-logger.ts';
import { loggerOptions } from './logger.ts';

/** A logger with the services' options that keeps its lines, parsed, for the test. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(loggerOptions({ service: 'test', level: 'debug' }), {
    write: (line: string) => lines.push(JSON.parse(line)),
  });
  return { logger, lines };
}

describe('console routed to the logger', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it('when a library prints an error with console.error, then it is one JSON line with the error and its stack', () => {
    const { logger, lines } = capture();
    restore = routeConsoleToLogger(logger);

    console.error(
      'Internal error emitted on a WebSocket socket. Please check your implementation.',
      new RangeError('Max payload size exceeded'),
    );

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      service: 'test',
      source: 'console',
      msg: 'Internal error emitted on a WebSocket socket. Please check your implementation. Max payload size exceeded',
      err: { type: 'RangeError', message: 'Max payload size exceeded' },
    });
    expect((lines[0]?.err as { stack?: string } | undefined)?.stack).toContain(
      'console-to-logger.test.ts',
    );
  });

  it('when console prints at other levels or with format strings, then each is a line at its level', () => {
    const { logger, lines } = capture();
    restore = routeConsoleToLogger(logger);

    console.warn('deprecated %s, use %s', 'a', 'b');
    console.log('plain', 42);
    console.info('info');
    console.debug('debug');
    console.error(new Error('only an error'));
    console.error('%s failed: %s (code %d)', 'job', new Error('boom'), 7);
    console.log();
    console.error('(node:4711) [DEP0005] DeprecationWarning: Buffer() is deprecated');

    expect(lines.map(({ level, msg }) => [level, msg])).toEqual([
      [40, 'deprecated a, use b'],
      [30, 'plain 42'],
      [30, 'info'],
      [20, 'debug'],
      [50, 'only an error'],
      [50, 'job failed: boom (code 7)'],
      [30, ''],
      [40, '(node:4711) [DEP0005] DeprecationWarning: Buffer() is deprecated'],
    ]);
  });

  it('when a library calls console.trace, then its stack comes as one error line', () => {
    const { logger, lines } = capture();
    restore = routeConsoleToLogger(logger);

    console.trace('here');

    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(50);
    expect(lines[0]?.msg).toMatch(/^Trace: here\n {4}at /);
  });

  it('when routing is undone, then console prints as before', () => {
    const { logger } = capture();
    const before = console.error;
    routeConsoleToLogger(logger)();

    expect(console.error).toBe(before);
  });
});
