// The /ping ceiling: the same two hops with nothing but Node's http. ROLE=back answers
// GET /ping-what like the producer; ROLE=front answers GET /ping by calling UPSTREAM's
// /ping-what over a keep-alive agent (the consumer's pool size) and relaying the parsed JSON,
// like the consumer. Each role runs in a process of its own, as the two services do.
import http from 'node:http';

const role = process.env.ROLE;
const PONG = JSON.stringify({ ok: 'Pong!' });
const json = (response: http.ServerResponse, status: number, body: string) => {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
};

let handler: http.RequestListener;
if (role === 'back') {
  handler = (request, response) => {
    if (request.url === '/ping-what') json(response, 200, PONG);
    else json(response, 404, '{}');
  };
} else if (role === 'front') {
  const upstream = new URL('/ping-what', process.env.UPSTREAM);
  // The consumer's producer client: keep-alive, at most 32 sockets (producer-client.ts).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  handler = (request, response) => {
    if (request.url !== '/ping') return json(response, 404, '{}');
    const call = http.get(
      upstream,
      { agent, headers: { accept: 'application/json' } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          try {
            json(response, 200, JSON.stringify(JSON.parse(Buffer.concat(chunks).toString())));
          } catch {
            json(response, 502, '{}');
          }
        });
      },
    );
    call.setTimeout(5_000, () => call.destroy(new Error('timeout')));
    call.on('error', () => json(response, 502, '{}'));
  };
} else {
  throw new Error(`ROLE must be front or back, got ${role}`);
}

const server = http.createServer({ keepAliveTimeout: 72_000 }, handler);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  // The harness reads a service's `listening` line, which names a metrics URL too; none here.
  console.log(JSON.stringify({ msg: 'listening', url, metricsUrl: url }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
