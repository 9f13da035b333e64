import { Cluster, type ClusterNode, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** ioredis' message for a command its `commandTimeout` ended (alone, or as a redirect's last). */
const TIMED_OUT = 'Command timed out';

type Command = Parameters<Redis['sendCommand']>[0];

/**
 * The commands a client's `commandTimeout` ended. ioredis keeps such a command where it waits
 * and sends it later (redis/ioredis#2130): from an offline queue once connected (the client's,
 * a cluster's, a cluster node's whose connection was still opening), after a reconnect
 * (`autoResendUnfulfilledCommands`), through a cluster's failover retry. That runs a write its
 * caller was told had failed, and has since retried. Marked by command, not promise: a pipeline
 * gives its commands new promises before it reports their timeout.
 */
class TimedOutCommands {
  readonly #commands = new WeakSet<object>();
  readonly #watched = new WeakSet<Promise<unknown>>();

  has(command: Command): boolean {
    return this.#commands.has(command);
  }

  /** Marks `command` if its promise is rejected by its timeout. Before any wrapper of ioredis'. */
  watch(command: Command): void {
    if (this.#watched.has(command.promise)) return;
    this.#watched.add(command.promise);
    const reject = command.reject;
    command.reject = (error) => {
      if (error.message.endsWith(TIMED_OUT)) this.#commands.add(command);
      reject.call(command, error);
    };
  }

  /**
   * Has `redis` (a cluster's node connection) write no marked command. A pipeline is written
   * whole once every command of it went through, so refusing part of one would leave the rest
   * queued unwritten: that cannot happen, as all of a pipeline's commands get their timer in the
   * same pass and so time out together.
   */
  guard(redis: Redis): void {
    const send = redis.sendCommand;
    redis.sendCommand = (command, stream) =>
      this.#commands.has(command) ? command.promise : send.call(redis, command, stream);
  }
}

/** A single Redis that never sends a command its `commandTimeout` ended (TimedOutCommands). */
export class BoundedRedis extends Redis {
  readonly #timedOut = new TimedOutCommands();

  override sendCommand(...args: Parameters<Redis['sendCommand']>): unknown {
    const [command] = args;
    if (this.#timedOut.has(command)) return command.promise;
    if (this.options.commandTimeout !== undefined) this.#timedOut.watch(command);
    return super.sendCommand(...args);
  }

  override duplicate(override: Partial<RedisOptions> = {}): Redis {
    return new BoundedRedis({ ...this.options, ...override });
  }
}

/**
 * A Cluster whose commands time out as a single Redis' do, and are then never sent. ioredis'
 * Cluster starts a command's `commandTimeout` only when it hands the command to a node's
 * connection, so one issued while the cluster is down waited in the cluster's own queue for as
 * long as the outage lasted (redis/ioredis#1604). Started here when the command is issued;
 * ioredis keeps the first timer a command gets, so a single command's redirects do not extend
 * it (a pipeline's or MULTI's bound starts again at each of its redirect rounds, of at most
 * `maxRedirections`). A command it ended is not sent by the cluster (its queue), by a node (its
 * queue, a redirect's retry), nor retried through ioredis' failover path once its node's
 * connection closes. Not covered: a command that already reached Redis and ran before its
 * answer came late, and the subscriber's connection (below).
 */
export class BoundedCluster extends Cluster {
  readonly #nodes: ClusterNode[];
  readonly #commandTimeoutMs: number | undefined;
  readonly #timedOut = new TimedOutCommands();
  readonly #guarded = new WeakSet<object>();

  constructor(nodes: ClusterNode[], commandTimeoutMs: number | undefined, options: ClusterOptions) {
    super(nodes, options);
    this.#nodes = nodes;
    this.#commandTimeoutMs = commandTimeoutMs;
    // Every node connection comes from the pool, which announces it before any command can use
    // it (after the constructor: the pool is first filled once the startup nodes are resolved).
    // Not the subscriber's connection (ClusterSubscriber makes its own): a SUBSCRIBE that timed
    // out while it was opening is still sent, which notificationSubscriber's re-subscribe makes
    // harmless.
    if (commandTimeoutMs !== undefined) {
      this.on('+node', (node: Redis) => this.#timedOut.guard(node));
    }
  }

  override sendCommand(...args: Parameters<Cluster['sendCommand']>): unknown {
    const [command, , node] = args;
    if (this.#timedOut.has(command)) return command.promise;
    if (this.#commandTimeoutMs === undefined) return super.sendCommand(...args);
    command.setTimeout(this.#commandTimeoutMs);
    this.#timedOut.watch(command);
    const sent = super.sendCommand(...args);
    // ioredis has now wrapped `reject` of a command of its own (no `node`) to retry it after a
    // redirect or a closed connection. Outside that: a timed-out command is not retried.
    if (node === undefined && !this.#guarded.has(command)) {
      this.#guarded.add(command);
      const redirecting = command.reject;
      command.reject = (error) => {
        if (!this.#timedOut.has(command)) redirecting.call(command, error);
      };
    }
    return sent;
  }

  // BullMQ duplicates its connection for blocking reads: the copy keeps the bound.
  override duplicate(
    overrideStartupNodes: ClusterNode[] = [],
    overrideOptions: ClusterOptions = {},
  ): Cluster {
    const nodes = overrideStartupNodes.length > 0 ? overrideStartupNodes : this.#nodes;
    return new BoundedCluster(nodes, this.#commandTimeoutMs, {
      ...this.options,
      ...overrideOptions,
    });
  }
}
