/**
 * A loopback port that speaks Redis Sentinel's protocol, RESP2 and RESP3, as Sentinel 7.0 answers
 * it (sentinel-commands.ts): `redis-cli -p 26379 SENTINEL FAILOVER mymaster` asks the local
 * orchestrator for a failover, and Sentinel-aware clients (ioredis, node-redis, redis-py) find
 * the current master through `SENTINEL GET-MASTER-ADDR-BY-NAME` and its replicas through
 * `SENTINEL REPLICAS`, and hear every event by (P)SUBSCRIBE. Commands that would change
 * Sentinel's configuration are refused (the config file is ours).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseCommand } from './resp-parser.ts';
import { bulk, encode, error, push, simple, type Reply } from './resp.ts';
import { answer, subscription, type ClientState, type PortContext, type SentinelPortHandlers } from './sentinel-commands.ts';

export type { FailoverAnswer, FailoverOptions, SentinelPortHandlers } from './sentinel-commands.ts';
export { failoverOptions, quorumReply } from './sentinel-commands.ts';

export interface SentinelPortOptions {
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly handlers: SentinelPortHandlers;
  /**
   * The port's own password, as Sentinel's `requirepass`: clients AUTH (or HELLO … AUTH) with it
   * before anything but AUTH, HELLO and QUIT. @default - none: AUTH is refused as Sentinel refuses it
   */
  readonly password?: string;
}

interface Connection {
  readonly socket: net.Socket;
  readonly state: ClientState;
}

/** A listening Sentinel port; {@link close} stops it and drops every client. */
export class SentinelPort {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    private readonly connections: Set<Connection>,
    /** The bound port, also when 0 was asked. */
    readonly port: number,
  ) {}

  /**
   * Publishes on a channel as Sentinel does (`+switch-master` → `mymaster 10.0.0.1 6379 10.0.0.2 6379`),
   * to clients that SUBSCRIBE to it or PSUBSCRIBE to a matching pattern.
   */
  publish(channel: string, message: string): void {
    for (const { socket, state } of this.connections) {
      if (!socket.writable) continue;
      if (state.channels.has(channel)) socket.write(encode(push([bulk('message'), bulk(channel), bulk(message)]), state.protocol));
      for (const pattern of state.patterns) {
        if (globMatches(pattern, channel)) socket.write(encode(push([bulk('pmessage'), bulk(pattern), bulk(channel), bulk(message)]), state.protocol));
      }
    }
  }

  static listen(options: SentinelPortOptions): Promise<SentinelPort> {
    const connections = new Set<Connection>();
    let nextId = 1;
    let bound = options.port;
    const ctx: PortContext = {
      handlers: options.handlers,
      runId: randomBytes(20).toString('hex'),
      port: () => bound,
      startedAt: Date.now(),
      password: options.password ?? null,
      clients: () => [...connections].map((c) => c.state),
      now: () => Date.now(),
    };
    // allowHalfOpen: a client that sends its commands and then shuts down its side
    // (`printf ... | nc -N`) still gets its replies; we end our side once they are written.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const now = Date.now();
      const state: ClientState = {
        id: nextId++,
        addr: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
        laddr: `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}`,
        createdAt: now,
        protocol: 2,
        name: '',
        authenticated: ctx.password === null,
        libName: '',
        libVersion: '',
        channels: new Set(),
        patterns: new Set(),
        lastCommand: 'NULL',
        lastCommandAt: now,
        killed: false,
      };
      const connection = { socket, state };
      connections.add(connection);
      socket.once('close', () => connections.delete(connection));
      serve(connection, ctx, () => connections);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host ?? '127.0.0.1', port: options.port }, () => {
        server.removeListener('error', reject);
        // A failed accept must not take the orchestrator down with it.
        server.on('error', () => undefined);
        const address = server.address();
        bound = typeof address === 'object' && address ? address.port : options.port;
        resolve(new SentinelPort(server, connections, bound));
      });
    });
  }

  /** Stops listening and destroys every open client socket (idempotent). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      // server.close() only waits for open connections; destroying them lets it finish now.
      this.server.close(() => resolve());
      for (const { socket } of this.connections) socket.destroy();
    });
    return this.closing;
  }
}

/** One connection: parse what arrives, answer in order, swallow every socket error. */
function serve(connection: Connection, ctx: PortContext, all: () => Set<Connection>): void {
  const { socket, state } = connection;
  let input: Buffer = Buffer.alloc(0);
  // Handlers are async; chaining every reply on one promise keeps replies in request order.
  let replies: Promise<void> = Promise.resolve();
  // After QUIT or a protocol error the rest of the input is ignored, as Redis does.
  let stopped = false;

  const write = (reply: Reply): void => {
    if (socket.writable) socket.write(encode(reply, state.protocol));
  };
  const then = (step: () => Promise<void> | void): void => {
    replies = replies.then(step).catch(() => undefined);
  };
  const finish = (): void => {
    stopped = true;
    input = Buffer.alloc(0);
    // Destroy once the replies are flushed: a client that never closes its side must not hold the socket.
    then(() => {
      socket.end(() => socket.destroy());
    });
  };
  /** CLIENT KILL marks its targets; each closes once the reply it is owed is written. */
  const closeKilled = (): void => {
    for (const other of all()) if (other.state.killed && other.socket !== socket) other.socket.destroy();
    if (state.killed) finish();
  };

  socket.on('error', () => undefined);
  socket.on('end', () => {
    if (!stopped) finish();
  });
  socket.on('data', (chunk: Buffer) => {
    if (stopped) return;
    input = input.length === 0 ? chunk : Buffer.concat([input, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseCommand(input, offset);
      if (parsed.kind === 'incomplete') break;
      if (parsed.kind === 'error') {
        then(() => write(error(`ERR Protocol error: ${parsed.message}`)));
        finish();
        return;
      }
      offset = parsed.next;
      const args = parsed.args;
      if (args.length === 0) continue; // an empty inline line or `*0`: nothing to answer
      state.lastCommand = args[0]!.toLowerCase();
      state.lastCommandAt = ctx.now();
      if (args[0]!.toUpperCase() === 'QUIT') {
        then(() => write(simple('OK')));
        finish();
        return;
      }
      // (Un)subscriptions take effect at once: what this connection receives changes with them.
      const confirmations = subscription(state, args, ctx);
      if (confirmations !== null) then(() => confirmations.forEach(write));
      else
        then(async () => {
          write(await answer(args, state, ctx));
          closeKilled();
        });
      if (stopped) return;
    }
    input = input.subarray(offset);
  });
}

/** Redis' glob for PSUBSCRIBE: `*`, `?`, `[abc]`, `[^a-z]` (a JavaScript class means the same); anything else literal. */
export function globMatches(pattern: string, channel: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const close = c === '[' ? pattern.indexOf(']', i + 2) : -1;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (close !== -1) {
      source += pattern.slice(i, close + 1);
      i = close;
    } else source += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  try {
    return new RegExp(`^${source}$`, 's').test(channel);
  } catch {
    return false; // a pattern no regular expression can stand for matches nothing
  }
}
