import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on a fixed local port in front of a real service, started and stopped by the
 * test: a dependency that goes away and comes back, without touching the shared broker or Redis.
 */
export function createTcpProxy(options: { port: number; target: { host: string; port: number } }) {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  return {
    async start() {
      server = createServer((client) => {
        const upstream = createConnection(options.target);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      // The port was free when the test picked it and may have been taken since: a clear
      // failure of the test, not an uncaught 'error' event.
      const listening = server;
      await new Promise<void>((resolve, reject) => {
        const failed = (error: Error) =>
          reject(
            new Error(`tcp proxy could not listen on 127.0.0.1:${options.port}: ${error.message}`, {
              cause: error,
            }),
          );
        listening.once('error', failed);
        listening.listen(options.port, '127.0.0.1', () => {
          listening.off('error', failed);
          resolve();
        });
      });
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      server = undefined;
    },
  };
}
