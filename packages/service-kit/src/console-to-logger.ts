import { format } from 'node:util';
import type { Logger } from 'pino';

/** Each console method a library may print with, and the level its lines get. */
const LEVELS = {
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
  trace: 'trace',
} as const;

type ConsoleMethod = keyof typeof LEVELS;

/**
 * Sends what libraries print through `console` to the service's logger: one JSON line each, at
 * the method's level, with `source: "console"` and an Error argument as `err` (its stack inside
 * the line). Printed as is, a stack is a dozen lines of text that CloudWatch stores as a dozen
 * events, outside the JSON every query and metric filter reads: graphql-ws prints every
 * client's oversized or malformed WebSocket frame that way ("Internal error emitted on a
 * WebSocket socket"). Returns what puts the console back.
 */
export function routeConsoleToLogger(logger: Logger): () => void {
  const methods = Object.keys(LEVELS) as ConsoleMethod[];
  const original = new Map(methods.map((method) => [method, console[method]]));
  for (const method of methods) {
    const level = LEVELS[method];
    console[method] = (...args: unknown[]) => {
      const err = args.find((arg) => arg instanceof Error);
      const rest = err === undefined ? args : args.filter((arg) => arg !== err);
      const message = rest.length > 0 ? format(...rest) : (err as Error).message;
      logger[level]({ source: 'console', ...(err === undefined ? {} : { err }) }, message);
    };
  }
  return () => {
    for (const [method, print] of original) console[method] = print;
  };
}
