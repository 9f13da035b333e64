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
 * (users, password hashes) for the rest. The copy keeps the command's name, never its arguments,
 * in the error and in the errors it carries: a cluster's "Failed to refresh slots cache." holds
 * its last node's error (`lastNodeError`), which for refused credentials is the AUTH's reply,
 * command and password included.
 */
export function redisErrorForLog(error: unknown): unknown {
  return scrubbed(error, 0);
}

/** The errors an error may carry, as pino's serializer would log them. */
const NESTED = ['lastNodeError', 'cause'] as const;

function scrubbed(error: unknown, depth: number): unknown {
  // Bounded: an error whose cause is itself.
  if (!(error instanceof Error) || depth > 4) return error;
  const carried = error as Error & { command?: { name?: unknown } } & Record<string, unknown>;
  const changes: Record<string, unknown> = {};
  if ('command' in error) changes.command = { name: carried.command?.name };
  for (const key of NESTED) {
    const inner = carried[key];
    const clean = scrubbed(inner, depth + 1);
    if (clean !== inner) changes[key] = clean;
  }
  if (Object.keys(changes).length === 0) return error;
  const copy: Error = Object.assign(Object.create(Object.getPrototypeOf(error) as object), error);
  // Defined, not assigned: `cause` and `message` are not enumerable, so not copied above.
  for (const [key, value] of Object.entries(changes)) {
    Object.defineProperty(copy, key, {
      value,
      enumerable: key !== 'cause',
      writable: true,
      configurable: true,
    });
  }
  copy.message = error.message;
  if (error.stack !== undefined) copy.stack = error.stack;
  return copy;
}
