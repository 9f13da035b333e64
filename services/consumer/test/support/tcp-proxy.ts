import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the real Redis that a test can cut and restore, to play an outage
 * without stopping the Redis other tests use.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = async () => {
    server = createServer((client) => {
      const upstream = createConnection(target);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    const listening = server;
    // `restore` listens again on the port the clients know; if something else took it meanwhile
    // (EADDRINUSE), say so as a rejection instead of an unhandled 'error' event and a promise
    // that never settles.
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
    port = (listening.address() as AddressInfo).port;
  };
  const cut = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server?.close(resolve));
  };
  await open();
  return {
    url: () => `redis://127.0.0.1:${port}`,
    cut,
    restore: open,
    close: cut,
  };
}
