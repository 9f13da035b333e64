import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy a scenario puts between a service and a dependency to control timing: it can let
 * a request through and keep its answer back, so a test kills the service at the exact moment
 * its dependency has done the work and the service does not know it yet.
 */
export interface TcpProxy {
  /** `host:port` clients connect to. */
  address: string;
  /**
   * From the next request containing `marker` (any case) on, answers are kept back; resolves
   * once an answer to it was kept back (so upstream has done the work). Bounded.
   */
  holdAnswersAfter(marker: string, timeoutMs?: number): Promise<void>;
  /** Delivers what was kept back and passes everything through again. */
  release(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  held: Buffer[];
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let holding = false;
  let armed: { marker: string; onHeld: () => void } | undefined;
  let sentMarker = false;

  const server = createServer((client) => {
    const upstream = createConnection(target);
    const pair: Pair = { client, upstream, held: [] };
    pairs.add(pair);
    for (const socket of [client, upstream]) socket.on('error', () => socket.destroy());
    // A client that dies (the SIGKILLed service) does not take back what it sent: the rest of
    // its requests still reach upstream, which runs them and then sees the connection end.
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
      if (armed && !holding && chunk.toString('latin1').toLowerCase().includes(armed.marker)) {
        holding = true;
        sentMarker = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!holding) {
        client.write(chunk);
        return;
      }
      pair.held.push(chunk);
      if (sentMarker && armed) {
        armed.onHeld();
        armed = undefined;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    holdAnswersAfter(marker, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          armed = undefined;
          reject(new Error(`no answer to "${marker}" came through the proxy in ${timeoutMs} ms`));
        }, timeoutMs);
        sentMarker = false;
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
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
