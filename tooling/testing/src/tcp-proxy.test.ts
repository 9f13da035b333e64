import { connect, createServer, type Server } from 'node:net';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

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
});
