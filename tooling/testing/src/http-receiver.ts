import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpReceiver {
  /** `http://127.0.0.1:<port><path>`: where to POST. */
  url: string;
  /** What was received, in order: path, content type and the body (parsed as JSON). */
  received: { path: string; type: string | undefined; body: unknown }[];
  close(): Promise<void>;
}

/**
 * A local HTTP endpoint standing in for a webhook (Slack and the like): it answers every POST
 * with `status` and `answer`, or never (`'hang'`), and keeps what it was sent.
 */
export async function startHttpReceiver(
  status: number | 'hang',
  options: { path?: string; answer?: string; headers?: Record<string, string> } = {},
): Promise<HttpReceiver> {
  const received: HttpReceiver['received'] = [];
  const server: Server = createServer((request, response) => {
    let raw = '';
    // Whole characters: a multi-byte one split across two chunks must not be garbled.
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      raw += chunk;
    });
    request.on('end', () => {
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // Not JSON: kept as text, for the test to see.
      }
      received.push({ path: request.url ?? '', type: request.headers['content-type'], body });
      if (status === 'hang') return;
      response.writeHead(status, options.headers ?? {});
      response.end(options.answer ?? 'ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${options.path ?? '/hook'}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        // A hanging answer holds its connection: close it too.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
