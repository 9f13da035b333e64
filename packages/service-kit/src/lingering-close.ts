import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface LingeringCloseOptions {
  /**
   * Longest the socket is kept half-closed after the answer, reading and dropping what the
   * client still sends. @defaultValue 2_000
   */
  lingerMs?: number;
}

/**
 * A "lingering close" (Apache, nginx) for answers that leave the request body unread: a 413 for
 * a Content-Length over the limit, a body that fails to parse. Fastify closes those connections,
 * and Node closes the socket as soon as the answer is flushed while the client is still sending;
 * closing with unread bytes makes the kernel send a reset, which can throw away the answer in the
 * client's receive buffer before the client reads it (it sees ECONNRESET, not the 413). Here the
 * socket is half-closed instead, and what still arrives is dropped until the client closes or
 * `lingerMs` passes.
 */
export function lingerOnUnreadBody(
  app: FastifyInstance,
  options: LingeringCloseOptions = {},
): void {
  const lingerMs = options.lingerMs ?? 2_000;
  app.addHook('onSend', async (request) => {
    if (request.raw.complete) return;
    // Node ends a `connection: close` answer with socket.destroySoon(); only this socket's
    // is replaced, and only when there is one to replace.
    const socket = request.raw.socket as Socket & { destroySoon?: () => void };
    if (typeof socket.destroySoon !== 'function') return;
    socket.destroySoon = () => {
      socket.end();
      socket.resume();
      const timer = setTimeout(() => socket.destroy(), lingerMs);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
    };
  });
}
