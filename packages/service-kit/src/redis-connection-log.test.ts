import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { logRedisConnection } from './redis-connection-log.ts';

// The client's events only: what ioredis emits while it reconnects, in the order it does.
const client = () =>
  new EventEmitter() as EventEmitter & { emit(event: string, ...args: unknown[]): boolean };

function capture() {
  const lines: {
    level: number;
    msg: string;
    client?: string;
    node?: string;
    errors?: number;
    err?: { message: string };
  }[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}
const WARN = 40;
const INFO = 30;

describe('logRedisConnection', () => {
  it('when a client fails to connect again and again, then one warning names the first error and the rest are debug', () => {
    const { logger, lines } = capture();
    const redis = client();
    logRedisConnection(redis, logger, 'redis');
    for (let attempt = 1; attempt <= 50; attempt++) {
      redis.emit('error', new Error(`connect ECONNREFUSED 127.0.0.1:6379 (${attempt})`));
    }
    const warnings = lines.filter((line) => line.level >= WARN);
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: 'redis connection failed; reconnecting',
        client: 'redis',
        err: expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:6379 (1)' }),
      }),
    ]);
    expect(lines.filter((line) => line.level < INFO)).toHaveLength(49);
  });

  it('when the client is ready again, then that is logged with the outage’s error count, and the next outage warns again', () => {
    const { logger, lines } = capture();
    const redis = client();
    logRedisConnection(redis, logger, 'redis subscriber');
    redis.emit('ready');
    for (let attempt = 1; attempt <= 3; attempt++)
      redis.emit('error', new Error('read ECONNRESET'));
    redis.emit('ready');
    redis.emit('error', new Error('read ECONNRESET'));
    expect(
      lines.filter((line) => line.level >= INFO).map(({ msg, errors }) => ({ msg, errors })),
    ).toEqual([
      { msg: 'redis connected', errors: 0 },
      { msg: 'redis connection failed; reconnecting', errors: undefined },
      { msg: 'redis connected', errors: 3 },
      { msg: 'redis connection failed; reconnecting', errors: undefined },
    ]);
  });

  it('when one node of a cluster fails again and again, then one warning names it until a connection to it was ready again', () => {
    const { logger, lines } = capture();
    const cluster = client();
    logRedisConnection(cluster, logger, 'redis');
    cluster.emit('ready');
    const node = (port: number) =>
      Object.assign(new EventEmitter(), { options: { host: '10.0.0.7', port } });
    // A failover: ioredis adds the dead master back at each redirect, and it fails again.
    for (let attempt = 1; attempt <= 5; attempt++) {
      cluster.emit('+node', node(6379));
      cluster.emit('node error', new Error('Connection is closed.'), '10.0.0.7:6379');
    }
    cluster.emit('node error', new Error('Connection is closed.'), '10.0.0.7:6380');
    // Back: a connection to it is ready; its next failure is news again.
    const back = node(6379);
    cluster.emit('+node', back);
    back.emit('ready');
    cluster.emit('node error', new Error('Connection is closed.'), '10.0.0.7:6379');
    expect(
      lines.filter((line) => line.level >= WARN).map(({ msg, node }) => ({ msg, node })),
    ).toEqual([
      { msg: 'redis node failed', node: '10.0.0.7:6379' },
      { msg: 'redis node failed', node: '10.0.0.7:6380' },
      { msg: 'redis node failed', node: '10.0.0.7:6379' },
    ]);
  });

  it('when an error carries the command that failed, then its arguments (a password for AUTH) are not logged', () => {
    const { logger, lines } = capture();
    const redis = client();
    logRedisConnection(redis, logger, 'redis');
    redis.emit(
      'error',
      Object.assign(new Error('WRONGPASS invalid username-password pair'), {
        command: { name: 'auth', args: ['consumer', 'not-to-be-logged'] },
      }),
    );
    expect(JSON.stringify(lines)).not.toContain('not-to-be-logged');
  });
});
