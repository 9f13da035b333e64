import { format, types } from 'node:util';
import type { Logger } from 'pino';

/**
 * Each console method a library may print with, and the level its lines get. Not `trace`: Node's
 * console.trace prints its stack through console.error, which is routed.
 */
const LEVELS = {
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
} as const;

type ConsoleMethod = keyof typeof LEVELS;

/** Node prints its own warnings (deprecations, listener leaks) with console.error. */
const NODE_WARNING = /^\(node:\d+\) /;

/**
 * Sends what libraries print through `console` to the service's logger: one JSON line each, at
 * the method's level, with `source: "console"` and the first Error argument also as `err` (its
 * stack inside the line). Printed as is, a stack is a dozen lines of text that CloudWatch stores
 * as a dozen events, outside the JSON every query and metric filter reads: graphql-ws prints
 * every client's oversized or malformed WebSocket frame that way ("Internal error emitted on a
 * WebSocket socket"). The message is the console's own text, with an Error's message where the
 * Error stood. Returns what puts the console back.
 */
export function routeConsoleToLogger(logger: Logger): () => void {
  const methods = Object.keys(LEVELS) as ConsoleMethod[];
  const original = new Map(methods.map((method) => [method, console[method]]));
  for (const method of methods) {
    console[method] = (...args: unknown[]) => {
      const err = args.find((arg) => types.isNativeError(arg) || arg instanceof Error) as
        | Error
        | undefined;
      const message = format(...args.map((arg) => (arg === err ? err?.message : arg)));
      const level = NODE_WARNING.test(message) ? 'warn' : LEVELS[method];
      logger[level]({ source: 'console', ...(err === undefined ? {} : { err }) }, message);
    };
  }
  return () => {
    for (const [method, print] of original) console[method] = print;
  };
}
