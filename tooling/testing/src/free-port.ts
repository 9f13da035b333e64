import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports handed out come from below the kernel's ephemeral range, never from it. A port in that
 * range can be picked as the *source* port of an outgoing connection to itself: a client that
 * connects to 127.0.0.1:P while nothing listens on P yet (Kafka nodes dialling each other's
 * controller port while they all start) can, once in some ten thousand attempts, get local port
 * P and a TCP self-connection that "succeeds" and echoes its own request back. A Kafka node
 * treats that garbage answer as fatal and exits (seen once in CI on a three-broker cluster).
 */
const LOWEST = 20_000;
const DEFAULT_EPHEMERAL_START = 32_768;
const ATTEMPTS = 200;

/** The kernel's ephemeral range's first port, read once per process. */
let rangeStart: number | undefined;

/** Ports this process has already handed out: never handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below the kernel's
 * ephemeral port range (so no outgoing connection can take it as its own source port).
 */
export async function freePort(): Promise<number> {
  rangeStart ??= ephemeralStart();
  const highest = rangeStart - 1;
  // A machine whose ephemeral range starts this low leaves no room below it: there the kernel
  // picks, as it did before, and the self-connection guard is off.
  const roomBelow = highest >= LOWEST + 1_000;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = roomBelow
      ? LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1))
      : await kernelPick();
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port after ${ATTEMPTS} tries (ephemeral range from ${highest + 1})`);
}

/**
 * The first port of Linux's ephemeral range (connections' source ports come from there); the
 * Linux default where it cannot be read.
 */
export function ephemeralStart(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): number {
  try {
    const start = Number(read().trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 0 ? start : DEFAULT_EPHEMERAL_START;
  } catch {
    return DEFAULT_EPHEMERAL_START;
  }
}

/** A port the kernel picks (inside its ephemeral range). */
function kernelPick(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
