import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { callAt } from '../../infra/call-at.ts';
import { throttledWarning } from '../../infra/throttled-warning.ts';
import type { Caller } from './auth/bearer-authenticator.ts';

/**
 * The share of a process's WebSocket places that connections without a valid token (in their
 * connection_init) may take: anyone can open one, and a client that answers graphql-ws' pings
 * holds it for good, so without a share of their own, idle tokenless sockets could take every
 * place and leave the users and operators who sign in with 1013. They may still run what needs
 * no token.
 */
export const tokenlessConnectionsMax = (max: number) => Math.max(1, Math.floor(max / 10));

/**
 * Connections one user may hold at once, whatever their tokens (operators are not counted):
 * anyone may sign up and log in, so one account must not take the places either; a few tabs or
 * devices fit.
 */
export const WS_CONNECTIONS_PER_USER = 5;

/**
 * How long after its token's expiry a user's connection is closed: its subscriptions end at the
 * expiry, and this is the margin for them to tell a slow client UNAUTHENTICATED before the close
 * (a client that reads takes the 5,000 notifications one may have waiting in well under a
 * second; one further behind may still get the close first).
 */
const EXPIRED_CONNECTION_GRACE_MS = 5_000;

/**
 * Admits a connection by who its token says calls, out of a process's `maxConnections` places:
 * operators always, a user while it holds fewer than WS_CONNECTIONS_PER_USER, a tokenless one
 * while fewer than a tenth are open; else closes it with 1013 (graphql-ws then refuses it too:
 * `false`). A user's admitted connection is closed once its token has expired.
 */
export function connectionAdmission(maxConnections: number, logger: FastifyBaseLogger) {
  const tokenless = connectionQuota(
    logger,
    'WebSocket connections refused: too many without a token',
  );
  const perUser = connectionQuota(logger, 'WebSocket connections refused: a user holds its most');
  const tokenlessMax = tokenlessConnectionsMax(maxConnections);
  return (socket: WebSocket, caller: Caller): boolean => {
    if (caller.kind === 'operator') return true;
    if (caller.kind === 'user') {
      const admitted = perUser(
        socket,
        caller.userId,
        WS_CONNECTIONS_PER_USER,
        'too many connections for this user, try again later',
      );
      if (admitted) closeAtExpiry(socket, caller.expiresAt);
      return admitted;
    }
    return tokenless(
      socket,
      'tokenless',
      tokenlessMax,
      'too many connections without a token, try again later',
    );
  };
}

/**
 * Closes a user's connection EXPIRED_CONNECTION_GRACE_MS after its token expires (4403;
 * graphql-ws clients connect again, with a new token if they have one): counted once, it would
 * otherwise keep its place, and one of the user's 5, for as long as it answers pings.
 */
function closeAtExpiry(socket: WebSocket, expiresAt: Date): void {
  const at = new Date(expiresAt.getTime() + EXPIRED_CONNECTION_GRACE_MS);
  const cancel = callAt(at, () => socket.close(4403, 'the token has expired'));
  socket.once('close', cancel);
}

/**
 * Counts open connections by key (one for all without a token, one per user): admits one while
 * fewer than `max` of its key are open, else closes it with 1013 and `reason` and logs `message`
 * once a minute at most.
 */
function connectionQuota(logger: FastifyBaseLogger, message: string) {
  const open = new Map<string, Set<WebSocket>>();
  const refused = throttledWarning(logger, message);
  return (socket: WebSocket, key: string, max: number, reason: string): boolean => {
    // Closed while its token was read: 'close' has fired already, so it must not be counted.
    if (socket.readyState !== socket.OPEN) return false;
    const sockets = open.get(key) ?? new Set<WebSocket>();
    if (sockets.size >= max) {
      socket.close(1013, reason);
      refused({ max });
      return false;
    }
    sockets.add(socket);
    open.set(key, sockets);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && open.get(key) === sockets) open.delete(key);
    });
    return true;
  };
}
