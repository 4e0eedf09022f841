import net from 'node:net';
import type { Address, ReplicaObservation } from '../lambdas/core/types.ts';

/**
 * A loopback port that speaks enough of Redis Sentinel's protocol (RESP2) for operators and clients:
 * `redis-cli -p 26379 SENTINEL FAILOVER mymaster` asks the local orchestrator for a failover, and
 * Sentinel-aware clients (ioredis with `sentinels` and `name`) find the current master through
 * `SENTINEL GET-MASTER-ADDR-BY-NAME`, or a replica through `SENTINEL REPLICAS`. Also answered:
 * `SENTINEL MASTERS|MASTER|SENTINELS|CKQUORUM`, PING, INFO and (P)SUBSCRIBE to the event channels.
 * Commands that would change Sentinel's configuration are refused (the config file is ours);
 * anything else is refused with a message that says what is answered.
 */

/**
 * What the orchestrator says to `SENTINEL FAILOVER`, mapped onto Sentinel's own error codes, plus
 * ABORTED (ours): a COORDINATED handover started and was given up, which a client must tell apart
 * from a request refused before anything changed.
 */
export type FailoverAnswer = { ok: true } | { ok: false; code: 'INPROG' | 'NOGOODSLAVE' | 'ABORTED' | 'ERR'; message: string };

/** `SENTINEL FAILOVER <name> [COORDINATED]`: COORDINATED is Valkey's zero-loss handover of a live master. */
export interface FailoverOptions {
  readonly coordinated: boolean;
}

/** One of Sentinel's field/value lists (SENTINEL MASTER, each entry of SENTINEL REPLICAS), in order. */
export type Fields = ReadonlyArray<readonly [string, string]>;

/** What `SENTINEL CKQUORUM` weighs: the voters that can vote and the master's quorum. */
export interface QuorumCheck {
  readonly voters: number;
  readonly quorum: number;
}

export interface SentinelPortHandlers {
  /** SENTINEL FAILOVER <name> [COORDINATED] */
  failover(name: string, options: FailoverOptions): Promise<FailoverAnswer>;
  /** SENTINEL GET-MASTER-ADDR-BY-NAME <name>: null when no such master */
  masterAddress(name: string): Promise<Address | null>;
  /** names of the monitored masters (INFO's sentinel_masters count, SENTINEL MASTERS) */
  masters(): readonly string[];
  /** SENTINEL MASTER <name>: Sentinel's field/value list (name, ip, port, flags, config-epoch…); null when no such master */
  master(name: string): Promise<Fields | null>;
  /**
   * SENTINEL REPLICAS <name>: each replica known for the master (not the master of record), as
   * observed now; null when no such master. The port turns each into Sentinel's field list.
   */
  replicas(name: string): Promise<readonly ReplicaObservation[] | null>;
  /** SENTINEL CKQUORUM <name>: null when no such master */
  quorum(name: string): QuorumCheck | null;
}

export interface SentinelPortOptions {
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly handlers: SentinelPortHandlers;
}

/** A client in subscribe mode: the channels and glob patterns it listens to. */
interface Subscriber {
  readonly socket: net.Socket;
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
}

/** A listening Sentinel port; {@link close} stops it and drops every client. */
export class SentinelPort {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: net.Server,
    private readonly sockets: Set<net.Socket>,
    private readonly subscribers: Set<Subscriber>,
    /** The bound port, also when 0 was asked. */
    readonly port: number,
  ) {}

  /**
   * Publishes on a channel as Sentinel does (`+switch-master` → `mymaster 10.0.0.1 6379 10.0.0.2 6379`),
   * to clients that SUBSCRIBE to it or PSUBSCRIBE to a matching pattern.
   */
  publish(channel: string, message: string): void {
    for (const subscriber of this.subscribers) {
      if (!subscriber.socket.writable) continue;
      if (subscriber.channels.has(channel)) subscriber.socket.write(array([bulk('message'), bulk(channel), bulk(message)]));
      for (const pattern of subscriber.patterns) {
        if (globMatches(pattern, channel)) subscriber.socket.write(array([bulk('pmessage'), bulk(pattern), bulk(channel), bulk(message)]));
      }
    }
  }

  static listen(options: SentinelPortOptions): Promise<SentinelPort> {
    const sockets = new Set<net.Socket>();
    const subscribers = new Set<Subscriber>();
    // allowHalfOpen: a client that sends its commands and then shuts down its side
    // (`printf ... | nc -N`) still gets its replies; we end our side once they are written.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const subscriber: Subscriber = { socket, channels: new Set(), patterns: new Set() };
      sockets.add(socket);
      subscribers.add(subscriber);
      socket.once('close', () => {
        sockets.delete(socket);
        subscribers.delete(subscriber);
      });
      serve(subscriber, options.handlers);
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host ?? '127.0.0.1', port: options.port }, () => {
        server.removeListener('error', reject);
        // A failed accept must not take the orchestrator down with it.
        server.on('error', () => undefined);
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : options.port;
        resolve(new SentinelPort(server, sockets, subscribers, port));
      });
    });
  }

  /** Stops listening and destroys every open client socket (idempotent). */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      // server.close() only waits for open connections; destroying them lets it finish now.
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }
}

const UNKNOWN =
  'this orchestrator answers PING, INFO, SENTINEL MASTERS|MASTER|REPLICAS|SLAVES|SENTINELS|GET-MASTER-ADDR-BY-NAME|CKQUORUM|FAILOVER, (P)SUBSCRIBE, (P)UNSUBSCRIBE';

/** The SENTINEL subcommands answered, and how many arguments each takes after its own name. */
const ARITY: ReadonlyMap<string, { readonly min: number; readonly max: number }> = new Map([
  ['MASTERS', { min: 0, max: 0 }],
  ['MASTER', { min: 1, max: 1 }],
  ['REPLICAS', { min: 1, max: 1 }],
  ['SLAVES', { min: 1, max: 1 }],
  ['SENTINELS', { min: 1, max: 1 }],
  ['GET-MASTER-ADDR-BY-NAME', { min: 1, max: 1 }],
  ['CKQUORUM', { min: 1, max: 1 }],
  ['FAILOVER', { min: 1, max: 2 }], // <name> [COORDINATED]
]);

/**
 * Sentinel's subcommands that change what it monitors or how. Ours would be lost at the next
 * start and could disagree with the config file, so they are refused, saying where to change it.
 */
const CONFIGURING = new Set(['SET', 'RESET', 'MONITOR', 'REMOVE', 'CONFIG', 'FLUSHCONFIG']);

const NO_SUCH_MASTER = '-ERR No such master with that name\r\n';

/** One connection: parse what arrives, answer in order, swallow every socket error. */
function serve(subscriber: Subscriber, handlers: SentinelPortHandlers): void {
  const { socket } = subscriber;
  let input: Buffer = Buffer.alloc(0);
  // Handlers are async; chaining every reply on one promise keeps replies in request order.
  let replies: Promise<void> = Promise.resolve();
  // After QUIT or a protocol error the rest of the input is ignored, as Redis does.
  let stopped = false;

  const write = (reply: string): void => {
    if (socket.writable) socket.write(reply);
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
      if (args[0]?.toUpperCase() === 'QUIT') {
        then(() => write(simple('OK')));
        finish();
        return;
      }
      const subscription = subscribe(subscriber, args);
      if (subscription !== null) then(() => write(subscription));
      else then(async () => write(await answer(args, handlers)));
    }
    input = input.subarray(offset);
  });
}

/**
 * (P)SUBSCRIBE and (P)UNSUBSCRIBE, answered at once (they change what this connection receives);
 * null for any other command. One confirmation per channel, with the count of subscriptions.
 */
function subscribe(subscriber: Subscriber, args: readonly string[]): string | null {
  const [command = '', ...names] = args;
  const kind = command.toLowerCase();
  const set = kind === 'subscribe' || kind === 'unsubscribe' ? subscriber.channels : kind === 'psubscribe' || kind === 'punsubscribe' ? subscriber.patterns : null;
  if (set === null) return null;
  const adding = !kind.includes('unsubscribe');
  if (adding && names.length === 0) return error(`ERR wrong number of arguments for '${kind}' command`);
  const count = () => subscriber.channels.size + subscriber.patterns.size;
  // UNSUBSCRIBE with no names leaves every channel (Redis answers once with a nil name when there were none).
  const targets = names.length > 0 ? names : [...set];
  if (targets.length === 0) return array([bulk(kind), '$-1\r\n', `:${count()}\r\n`]);
  return targets
    .map((name) => {
      if (adding) set.add(name);
      else set.delete(name);
      return array([bulk(kind), bulk(name), `:${count()}\r\n`]);
    })
    .join('');
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

/** The reply to one command; a handler that throws becomes `-ERR <message>`, never a crash. */
async function answer(args: readonly string[], handlers: SentinelPortHandlers): Promise<string> {
  const [command = '', subcommand = '', ...rest] = args;
  try {
    switch (command.toUpperCase()) {
      case 'PING':
        return args.length > 1 ? bulk(subcommand) : simple('PONG');
      case 'INFO': {
        const count = handlers.masters().length;
        // redis_failover:1 is ours: it tells our own tools this is the orchestrator, not a real Sentinel.
        return bulk(
          `# Server\r\nredis_mode:sentinel\r\nredis_failover:1\r\n\r\n# Sentinel\r\nsentinel_masters:${count}\r\n`,
        );
      }
      case 'CLIENT': // SETNAME, SETINFO from ioredis: accepted and forgotten
        return simple('OK');
      case 'SELECT':
        return subcommand === '0' && args.length === 2 ? simple('OK') : error('ERR DB index is out of range');
      case 'COMMAND': // redis-cli asks for command docs in interactive mode
        return array([]);
      case 'HELLO':
        return error('NOPROTO unsupported protocol version');
      case 'SENTINEL':
        if (args.length < 2) return error(`ERR wrong number of arguments for 'sentinel' command`);
        return await sentinel(subcommand, rest, handlers);
      default:
        return error(`ERR unknown command '${shown(command)}', ${UNKNOWN}`);
    }
  } catch (thrown) {
    return error(`ERR ${thrown instanceof Error ? thrown.message : String(thrown)}`);
  }
}

async function sentinel(subcommand: string, rest: readonly string[], handlers: SentinelPortHandlers): Promise<string> {
  const name = subcommand.toUpperCase();
  if (CONFIGURING.has(name)) {
    return error(`ERR SENTINEL ${name} is not supported: the config file is the configuration; edit it and restart redis-failover local`);
  }
  const arity = ARITY.get(name);
  if (!arity) return error(`ERR unknown command 'SENTINEL ${shown(subcommand)}', ${UNKNOWN}`);
  if (rest.length < arity.min || rest.length > arity.max) {
    return error(`ERR wrong number of arguments for 'sentinel|${subcommand.toLowerCase()}' command`);
  }
  const [master = ''] = rest;
  switch (name) {
    case 'FAILOVER': {
      const options = failoverOptions(rest[1]);
      if (!options) return error('ERR syntax error');
      const outcome = await handlers.failover(master, options);
      return outcome.ok ? simple('OK') : error(`${outcome.code} ${outcome.message}`);
    }
    case 'GET-MASTER-ADDR-BY-NAME': {
      const address = await handlers.masterAddress(master);
      return address ? array([bulk(address.host), bulk(String(address.port))]) : '*-1\r\n';
    }
    case 'MASTER': {
      const fields = await handlers.master(master);
      return fields ? fieldList(fields) : NO_SUCH_MASTER;
    }
    case 'MASTERS':
      return array(await allMasters(handlers));
    case 'REPLICAS':
    case 'SLAVES': {
      const observations = await handlers.replicas(master);
      return observations ? array(observations.map((observation) => fieldList(replicaFields(observation)))) : NO_SUCH_MASTER;
    }
    case 'CKQUORUM': {
      const check = handlers.quorum(master);
      return check ? quorumReply(check) : NO_SUCH_MASTER;
    }
    case 'SENTINELS':
    default:
      // The voters are not Sentinels a client could ask instead of us: there are none to list.
      return handlers.masters().includes(master) ? array([]) : NO_SUCH_MASTER;
  }
}

/** The optional token after `SENTINEL FAILOVER <name>`; null for anything but COORDINATED. */
export function failoverOptions(token: string | undefined): FailoverOptions | null {
  if (token === undefined) return { coordinated: false };
  return token.toUpperCase() === 'COORDINATED' ? { coordinated: true } : null;
}

/** SENTINEL MASTERS: SENTINEL MASTER's list for each monitored master, read concurrently. */
async function allMasters(handlers: SentinelPortHandlers): Promise<string[]> {
  const lists = await Promise.all(handlers.masters().map((name) => handlers.master(name)));
  // A master not (yet) in the table has nothing to show; Sentinel lists only what it monitors.
  return lists.filter((fields) => fields !== null).map(fieldList);
}

/**
 * One replica in Sentinel's names, from what it answers now. An unreachable one keeps Sentinel's
 * defaults (role slave, master-host `?`, priority 100) and is flagged `s_down,disconnected`, so that
 * clients such as ioredis (`role: 'slave'`), which skip replicas flagged so, are not sent to a dead one.
 */
export function replicaFields(observation: ReplicaObservation): Fields {
  const { address, info } = observation;
  const up = observation.reachable && info !== null;
  return [
    ['name', `${address.host}:${address.port}`],
    ['ip', address.host],
    ['port', String(address.port)],
    ['runid', info?.runId ?? ''],
    ['flags', up ? 'slave' : 'slave,s_down,disconnected'],
    // A replica that says role:master (promoted behind our back, or split off) is shown as such, as Sentinel does.
    ['role-reported', info?.role === 'master' ? 'master' : 'slave'],
    ['master-link-status', info?.masterLinkUp ? 'ok' : 'err'],
    ['master-host', info?.masterHost ?? '?'],
    ['master-port', String(info?.masterPort ?? 0)],
    ['slave-priority', String(info?.replicaPriority ?? 100)],
    ['slave-repl-offset', String(info?.replOffset ?? 0)],
  ];
}

/**
 * CKQUORUM in Sentinel's words, for our voters: Sentinel also needs a majority to authorize a
 * failover, where we need the lease in the table, which any one leader can take.
 */
export function quorumReply({ voters, quorum }: QuorumCheck): string {
  return voters >= quorum
    ? simple(`OK ${voters} usable voters. Quorum ${quorum} and the failover lease can be reached`)
    : error(`NOQUORUM ${voters} usable voters, quorum is ${quorum}`);
}

/** Sentinel's flat field/value array. */
function fieldList(fields: Fields): string {
  return array(fields.flatMap(([field, value]) => [bulk(field), bulk(value)]));
}

/** A client-supplied name as echoed in an error: one line, not too long. */
function shown(text: string): string {
  return text.length > 128 ? `${text.slice(0, 128)}...` : text;
}

// RESP2 replies. Simple strings and errors are one line, so CR/LF in a message become spaces.
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ').trim();
const simple = (text: string): string => `+${oneLine(text)}\r\n`;
const error = (text: string): string => `-${oneLine(text)}\r\n`;
const bulk = (text: string): string => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
const array = (items: readonly string[]): string => `*${items.length}\r\n${items.join('')}`;

/** What {@link parseCommand} found at an offset. */
export type Parsed =
  | { readonly kind: 'command'; readonly args: readonly string[]; /** offset after the command */ readonly next: number }
  | Incomplete
  | ProtocolError;
type Incomplete = { readonly kind: 'incomplete' };
type ProtocolError = { readonly kind: 'error'; readonly message: string };

/** Inline commands (what `nc` sends) longer than this are refused, as Redis does. */
const MAX_INLINE_BYTES = 64 * 1024;
/** One multibulk command, all of it: nothing we answer comes near; the cap bounds what we buffer. */
const MAX_COMMAND_BYTES = 1024 * 1024;
const MAX_ARGS = 1024;
/** `*<count>` and `$<length>` lines are short; a longer one is garbage, not a slow packet. */
const MAX_HEADER_BYTES = 32;

const INCOMPLETE: Incomplete = { kind: 'incomplete' };
const CR = 0x0d;
const LF = 0x0a;

/**
 * Parses one command starting at `offset`: a RESP multibulk (`*2\r\n$4\r\nPING\r\n…`) or an inline
 * line (`PING\r\n`). `incomplete` means wait for more bytes; the caller keeps them and retries.
 */
export function parseCommand(buffer: Buffer, offset: number): Parsed {
  if (offset >= buffer.length) return INCOMPLETE;
  return buffer[offset] === 0x2a /* '*' */ ? parseMultibulk(buffer, offset) : parseInline(buffer, offset);
}

function parseInline(buffer: Buffer, offset: number): Parsed {
  const end = buffer.indexOf(LF, offset);
  if ((end === -1 ? buffer.length : end) - offset > MAX_INLINE_BYTES) return protocolError('too big inline request');
  if (end === -1) return INCOMPLETE;
  // Split on blanks only: Redis also honours quotes here, which no command we answer needs.
  const args = buffer
    .toString('utf8', offset, end)
    .split(/[ \t\r]+/)
    .filter((arg) => arg !== '');
  return { kind: 'command', args, next: end + 1 };
}

function parseMultibulk(buffer: Buffer, offset: number): Parsed {
  const header = readLine(buffer, offset);
  if (header.kind !== 'line') return header;
  const count = integer(header.text.slice(1));
  if (count === null || count > MAX_ARGS) return protocolError('invalid multibulk length');
  // Redis ignores `*0` and `*-1` from a client; so do we.
  if (count <= 0) return { kind: 'command', args: [], next: header.next };

  const args: string[] = [];
  let position = header.next;
  for (let i = 0; i < count; i++) {
    const first = buffer[position];
    if (first !== undefined && first !== 0x24 /* '$' */) {
      return protocolError(`expected '$', got '${String.fromCharCode(first)}'`);
    }
    const line = readLine(buffer, position);
    if (line.kind !== 'line') return line;
    const length = integer(line.text.slice(1));
    if (length === null || length < 0) return protocolError('invalid bulk length');
    const end = line.next + length;
    // Checked before waiting for the bytes, so a huge length never makes us buffer them.
    if (end + 2 - offset > MAX_COMMAND_BYTES) return protocolError('command larger than 1 MB');
    if (buffer.length < end + 2) return INCOMPLETE;
    if (buffer[end] !== CR || buffer[end + 1] !== LF) return protocolError('bulk string not followed by CRLF');
    args.push(buffer.toString('utf8', line.next, end));
    position = end + 2;
  }
  return { kind: 'command', args, next: position };
}

/** A `*…` or `$…` line ending in CRLF. */
function readLine(
  buffer: Buffer,
  offset: number,
): { readonly kind: 'line'; readonly text: string; readonly next: number } | Incomplete | ProtocolError {
  const end = buffer.indexOf('\r\n', offset);
  if ((end === -1 ? buffer.length : end) - offset > MAX_HEADER_BYTES) {
    return protocolError(buffer[offset] === 0x2a ? 'invalid multibulk length' : 'invalid bulk length');
  }
  if (end === -1) return INCOMPLETE;
  return { kind: 'line', text: buffer.toString('latin1', offset, end), next: end + 2 };
}

function integer(text: string): number | null {
  return /^-?\d{1,12}$/.test(text) ? Number(text) : null;
}

function protocolError(message: string): ProtocolError {
  return { kind: 'error', message };
}
