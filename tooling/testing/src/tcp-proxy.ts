import {
  type AddressInfo,
  createConnection,
  createServer,
  type Server,
  type Socket,
} from 'node:net';
import { freePort } from './free-port.ts';

/**
 * A TCP proxy a test puts between a service and a real dependency (the shared broker or Redis)
 * to play what that dependency does without touching it: go away and come back (`cut`,
 * `restore`), or do the work and keep the answer back (`holdAnswersAfter`, `release`), so a test
 * can kill the service at the moment its dependency has done the work and it does not know yet.
 */
export interface TcpProxy {
  /** The loopback port clients connect to; the same across `cut` and `restore`. */
  readonly port: number;
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Drops every connection and stops listening: the dependency is gone. */
  cut(): Promise<void>;
  /** Listens again on the same port; rejects, naming the port, if something took it meanwhile. */
  restore(): Promise<void>;
  /**
   * From the next request containing `marker` (any case) on, answers are kept back; resolves
   * once an answer to it was kept back (so upstream has done the work). Bounded.
   */
  holdAnswersAfter(marker: string, timeoutMs?: number): Promise<void>;
  /** Delivers what was kept back and passes everything through again. */
  release(): void;
  /**
   * Sends new connections to `target` from now on; open ones stay where they are (what a DNS name
   * moved to another host does).
   */
  retarget(target: { host: string; port: number }): void;
  /** The same as `cut`, for cleanups. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  held: Buffer[];
}

/**
 * Starts a proxy to `target` (`{ host, port }`, or `host:port` as a broker list names it) on
 * `port` (a free one when not given). With `listening: false` it starts cut, for a dependency
 * that is down before the service starts: `restore` brings it up.
 */
export async function startTcpProxy(options: {
  target: { host: string; port: number } | string;
  port?: number;
  listening?: boolean;
}): Promise<TcpProxy> {
  let target = typeof options.target === 'string' ? hostAndPort(options.target) : options.target;
  const pairs = new Set<Pair>();
  let server: Server | undefined;
  let holding = false;
  /** A pending `holdAnswersAfter`; `pair` is the connection its marker went through, once sent. */
  let armed: { marker: string; pair?: Pair; onHeld: () => void } | undefined;

  const connect = (client: Socket) => {
    const upstream = createConnection(target);
    const pair: Pair = { client, upstream, held: [] };
    pairs.add(pair);
    // One side failing ends both: a half-open pair would look like a dependency that hangs.
    for (const socket of [client, upstream]) {
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    // A client that dies (a SIGKILLed service) does not take back what it sent: the rest of its
    // requests still reach upstream, which runs them and then sees the connection end.
    client.on('close', () => {
      pairs.delete(pair);
      upstream.end();
      setTimeout(() => upstream.destroy(), 2_000).unref();
    });
    upstream.on('close', () => {
      pairs.delete(pair);
      client.destroy();
    });
    client.on('data', (chunk) => {
      if (armed && !armed.pair && chunk.toString('latin1').toLowerCase().includes(armed.marker)) {
        holding = true;
        armed.pair = pair;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!holding) {
        client.write(chunk);
        return;
      }
      pair.held.push(chunk);
      // Only an answer on the marked connection can be the answer to the marked request: others
      // are held too, but say nothing about whether upstream has done that work.
      if (armed?.pair === pair) {
        armed.onHeld();
        armed = undefined;
      }
    });
  };

  const listen = async (port: number): Promise<number> => {
    const listening = createServer(connect);
    await new Promise<void>((resolve, reject) => {
      const failed = (error: Error) =>
        reject(
          new Error(`tcp proxy: cannot listen on 127.0.0.1:${port}: ${error.message}`, {
            cause: error,
          }),
        );
      listening.once('error', failed);
      listening.listen(port, '127.0.0.1', () => {
        listening.off('error', failed);
        resolve();
      });
    });
    server = listening;
    return (listening.address() as AddressInfo).port;
  };

  const cut = async () => {
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    const closing = server;
    server = undefined;
    if (closing) await new Promise((resolve) => closing.close(resolve));
  };

  const startListening = options.listening ?? true;
  const port = startListening
    ? await listen(options.port ?? 0)
    : (options.port ?? (await freePort()));
  return {
    port,
    address: `127.0.0.1:${port}`,
    cut,
    async restore() {
      if (!server) await listen(port);
    },
    holdAnswersAfter(marker, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          armed = undefined;
          reject(new Error(`no answer to "${marker}" came through the proxy in ${timeoutMs} ms`));
        }, timeoutMs);
        armed = {
          marker: marker.toLowerCase(),
          onHeld: () => {
            clearTimeout(timer);
            resolve();
          },
        };
      });
    },
    release() {
      holding = false;
      armed = undefined;
      for (const pair of pairs) {
        for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
      }
    },
    retarget(to) {
      target = to;
    },
    close: cut,
  };
}

/** `host:port` as its parts; a missing or bad port is an error, not port 0. */
function hostAndPort(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  const port = Number(address.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`tcp proxy: target must be host:port, got "${address}"`);
  }
  return { host: address.slice(0, separator), port };
}
