import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** HTTP status of the answer, 0 if none came before the connection closed or the bound. */
  status: number;
  /** The answer's body (as text). */
  body: string;
  /** When the answer (or the close) came, ms after connecting. */
  ms: number;
  /** True when the server closed the connection. */
  closed: boolean;
}

/**
 * One HTTP/1.1 exchange over a raw socket, so a test can be the client a library would never
 * be: send a head, then `feed` writes the body however it likes (too much, too slowly, never).
 * Resolves once a complete answer arrived, the server closed, or `timeoutMs` passed.
 */
export function rawHttp(options: {
  port: number;
  head: string;
  feed?: (socket: Socket) => void;
  timeoutMs?: number;
}): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(options.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = received.toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.includes('\r\n\r\n') ? text.slice(text.indexOf('\r\n\r\n') + 4) : '';
      socket.destroy();
      resolve({ status, body, ms: performance.now() - started, closed });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 20_000);
    socket.on('connect', () => {
      if (options.head) socket.write(options.head);
      options.feed?.(socket);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (complete(received)) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}

/** A full answer with a Content-Length body is in. */
function complete(received: Buffer): boolean {
  const text = received.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1];
  return length !== undefined && received.length >= end + 4 + Number(length);
}

/** Writes `chunk` every `everyMs` until the socket closes: a client that never finishes. */
export function trickle(socket: Socket, chunk: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write(chunk);
  }, everyMs);
  socket.on('close', () => clearInterval(timer));
}

/** Writes `total` bytes as fast as the socket takes them (or until it closes). */
export function flood(socket: Socket, total: number, chunked = false): void {
  const chunk = Buffer.alloc(64 * 1024, 'a');
  let sent = 0;
  let ended = false;
  const pump = () => {
    while (sent < total && !socket.destroyed) {
      const piece = chunked
        ? Buffer.concat([
            Buffer.from(`${chunk.length.toString(16)}\r\n`),
            chunk,
            Buffer.from('\r\n'),
          ])
        : chunk;
      sent += chunk.length;
      if (!socket.write(piece)) return;
    }
    if (chunked && !ended && !socket.destroyed) {
      ended = true;
      socket.write('0\r\n\r\n');
    }
  };
  socket.on('drain', pump);
  pump();
}
