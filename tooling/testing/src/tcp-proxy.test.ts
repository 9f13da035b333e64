import { connect, createServer, type Server, type Socket } from 'node:net';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';
import { waitFor } from './wait-for.ts';

/** Sends `line` through the proxy and resolves with the first answer, or the socket's error. */
function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(line));
    socket.once('data', (chunk) => {
      resolve(chunk.toString());
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

/** A connection through the proxy that keeps everything it is answered. */
async function open(port: number): Promise<{ socket: Socket; answers: () => string }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString();
  });
  return { socket, answers: () => text };
}

describe('startTcpProxy', () => {
  let upstream: Server;
  let upstreamPort: number;
  let proxy: TcpProxy | undefined;
  beforeEach(async () => {
    // An echo server that says which bytes it got.
    upstream = createServer((socket) => socket.on('data', (chunk) => socket.write(`got ${chunk}`)));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as { port: number }).port;
  });
  afterEach(async () => {
    await proxy?.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('when a client talks through it, then bytes pass both ways', async () => {
    proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: upstreamPort } });
    expect(await ask(proxy.port, 'ping')).toBe('got ping');
  });

  it('when the target is given as host:port, then bytes pass both ways', async () => {
    proxy = await startTcpProxy({ target: `127.0.0.1:${upstreamPort}` });
    expect(await ask(proxy.port, 'ping')).toBe('got ping');
  });

  it.each(['127.0.0.1', '127.0.0.1:', ':9092', '127.0.0.1:http', '127.0.0.1:70000'])(
    'when the target is %p, then it refuses to start and names it',
    async (target) => {
      await expect(startTcpProxy({ target })).rejects.toThrow(
        `tcp proxy: target must be host:port, got "${target}"`,
      );
    },
  );

  it('when cut, then connections are refused until restore brings it back on the same port', async () => {
    proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: upstreamPort } });
    await proxy.cut();
    expect(await ask(proxy.port, 'ping')).toBe('ECONNREFUSED');
    await proxy.restore();
    expect(await ask(proxy.port, 'ping')).toBe('got ping');
  });

  it('when started with listening false, then it is down until restore', async () => {
    proxy = await startTcpProxy({
      target: { host: '127.0.0.1', port: upstreamPort },
      listening: false,
    });
    expect(await ask(proxy.port, 'ping')).toBe('ECONNREFUSED');
    await proxy.restore();
    expect(await ask(proxy.port, 'ping')).toBe('got ping');
  });

  it('when answers are held after a marker, then the answer arrives only on release', async () => {
    proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: upstreamPort } });
    const held = proxy.holdAnswersAfter('MARK', 5_000);
    let answer: string | undefined;
    const asked = ask(proxy.port, 'a mark here').then((text) => {
      answer = text;
    });
    await held;
    expect(answer).toBeUndefined();
    proxy.release();
    await asked;
    expect(answer).toBe('got a mark here');
  });

  it('when another connection is answered first, then holdAnswersAfter waits for the marked answer', async () => {
    // An upstream that keeps the answer to "mark" back until some connection says "go", so the
    // unmarked connection's answer reaches the proxy first.
    const received: string[] = [];
    let marked: { socket: Socket; request: string } | undefined;
    let markAnswered = false;
    const gated = createServer((socket) =>
      socket.on('data', (chunk) => {
        const request = chunk.toString();
        received.push(request);
        if (request.includes('mark')) {
          marked = { socket, request };
        } else if (request === 'go' && marked) {
          marked.socket.write(`got ${marked.request}`);
          markAnswered = true;
        } else {
          socket.write(`got ${request}`);
        }
      }),
    );
    await new Promise<void>((resolve) => gated.listen(0, '127.0.0.1', resolve));
    try {
      const gatedPort = (gated.address() as { port: number }).port;
      proxy = await startTcpProxy({ target: { host: '127.0.0.1', port: gatedPort } });
      const marking = await open(proxy.port);
      const other = await open(proxy.port);

      let markAnsweredWhenResolved: boolean | undefined;
      const held = proxy.holdAnswersAfter('MARK', 5_000).then(() => {
        markAnsweredWhenResolved = markAnswered;
      });
      marking.socket.write('a mark here');
      await waitFor(() => marked, { timeoutMs: 5_000, description: 'upstream got the mark' });
      // Answered at once by upstream, and held by the proxy (holding is on for every connection).
      other.socket.write('ping');
      await waitFor(() => received.includes('ping'), {
        timeoutMs: 5_000,
        description: 'upstream got the ping',
      });
      // "go" reaches upstream after the proxy read the ping's answer: only then is the mark's
      // answer sent.
      other.socket.write('go');
      await held;
      expect(markAnsweredWhenResolved).toBe(true);
      expect(marking.answers()).toBe('');
      expect(other.answers()).toBe('');

      proxy.release();
      await waitFor(
        () => marking.answers() === 'got a mark here' && other.answers() === 'got ping',
        {
          timeoutMs: 5_000,
          description: 'both answers delivered on release',
        },
      );
      marking.socket.destroy();
      other.socket.destroy();
    } finally {
      await proxy?.close();
      await new Promise((resolve) => gated.close(resolve));
    }
  });
});
