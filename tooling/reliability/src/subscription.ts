/**
 * One GraphQL subscription over WebSocket (graphql-transport-ws, as the consumer speaks it), with
 * Node's own WebSocket: what a browser subscriber does, and nothing the suite would need a
 * client library for.
 */
export interface Subscription {
  /** Every `next` payload, in order. */
  results: { data?: Record<string, unknown> | null; errors?: GraphqlWsError[] }[];
  /** The `error` message's errors, if the server refused the operation. */
  errors: GraphqlWsError[];
  /** True once the server completed the operation or refused it. */
  ended(): boolean;
  /** The close code, once the socket closed. */
  closeCode(): number | undefined;
  close(): void;
}

export interface GraphqlWsError {
  message: string;
  extensions?: { code?: string };
}

/**
 * Opens the socket, initialises it with `authorization` as `connectionParams.authorization`
 * (none when undefined), and subscribes `query`. Resolves once the server acknowledged the
 * connection (the subscription is then sent), rejects when it does not within `timeoutMs`.
 */
export async function subscribe(
  graphqlUrl: string,
  query: string,
  options: { authorization?: string; timeoutMs?: number } = {},
): Promise<Subscription> {
  const socket = new WebSocket(graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const subscription: Subscription = {
    results: [],
    errors: [],
    ended: () => ended,
    closeCode: () => closeCode,
    close: () => socket.close(1000),
  };
  let ended = false;
  let closeCode: number | undefined;
  let acknowledged: () => void = () => {};
  const ack = new Promise<void>((resolve, reject) => {
    acknowledged = resolve;
    socket.addEventListener('error', () => reject(new Error('the WebSocket failed')));
    socket.addEventListener('close', (event) =>
      reject(new Error(`the WebSocket closed (${event.code}) before the ack`)),
    );
  });
  socket.addEventListener('close', (event) => {
    closeCode = event.code;
  });
  socket.addEventListener('open', () => {
    const payload = options.authorization ? { authorization: options.authorization } : {};
    socket.send(JSON.stringify({ type: 'connection_init', payload }));
  });
  socket.addEventListener('message', (event) => {
    let message: { type: string; payload?: unknown };
    try {
      message = JSON.parse(String(event.data));
    } catch {
      // A frame that is not the protocol's JSON ends the subscription as an error the scenario
      // sees, instead of an exception thrown inside a listener, which would end the process.
      subscription.errors.push({
        message: `not a graphql-ws message: ${String(event.data).slice(0, 80)}`,
      });
      ended = true;
      return;
    }
    if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      acknowledged();
    } else if (message.type === 'next') {
      subscription.results.push(message.payload as Subscription['results'][number]);
    } else if (message.type === 'error') {
      subscription.errors.push(...(message.payload as GraphqlWsError[]));
      ended = true;
    } else if (message.type === 'complete') {
      ended = true;
    } else if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('no connection_ack in time')),
      options.timeoutMs ?? 10_000,
    );
  });
  // A close after `late` won must not surface as an unhandled rejection.
  ack.catch(() => {});
  try {
    await Promise.race([ack, late]);
  } catch (error) {
    socket.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return subscription;
}

/**
 * Opens a graphql-transport-ws socket and sends one message of `bytes` bytes (a connection_init
 * padded out): the close code the server answered with, or `still open` past `timeoutMs`.
 */
export async function sendOversized(
  graphqlUrl: string,
  bytes: number,
  timeoutMs = 5_000,
): Promise<number | 'still open'> {
  const socket = new WebSocket(graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise((resolve) => {
      timer = setTimeout(() => resolve('still open'), timeoutMs);
      // An error is always followed by a close: its code is the answer.
      socket.addEventListener('close', (event) => resolve(event.code));
      socket.addEventListener('open', () => {
        const padding = 'x'.repeat(bytes);
        socket.send(JSON.stringify({ type: 'connection_init', payload: { padding } }));
      });
    });
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}
