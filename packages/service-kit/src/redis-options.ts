/**
 * The Redis client options the URL cannot carry. A structural subset of ioredis' options, so
 * this package needs no Redis client of its own.
 */
export interface RedisTlsOptions {
  tls?: { ca: string[] };
}

/**
 * What every Redis client of a service adds to `new Redis(url, …)` for the connection to be
 * secure: with a `rediss://` URL and a private CA bundle (its PEM contents, read once at start),
 * TLS trusts that CA. Everything else stays in the URL, which ioredis parses: `rediss://` turns
 * TLS on with the system's CAs, and `user:password@` authenticates (an ACL user or the AUTH
 * token). Spread it before a client's own options; it never names the URL, so it cannot leak
 * the password into a log.
 */
export function redisTlsOptions(url: string, ca?: string): RedisTlsOptions {
  if (ca === undefined) return {};
  // The configuration refuses this too; a CA that silently went unused would hide a plaintext link.
  if (!url.startsWith('rediss://')) throw new Error('a Redis CA bundle needs a rediss:// URL');
  return { tls: { ca: [ca] } };
}

/**
 * `error` as it may be logged. ioredis attaches the failed command to its errors with its
 * arguments (`command.args`): the username and password for AUTH and HELLO, keys and values
 * (users, password hashes) for the rest. The copy keeps the command's name, never its arguments.
 */
export function redisErrorForLog(error: unknown): unknown {
  if (!(error instanceof Error) || !('command' in error)) return error;
  const { command } = error as Error & { command?: { name?: unknown } };
  const copy: Error = Object.assign(Object.create(Object.getPrototypeOf(error) as object), error, {
    command: { name: command?.name },
  });
  // Not enumerable, so not copied above.
  copy.message = error.message;
  if (error.stack !== undefined) copy.stack = error.stack;
  return copy;
}
