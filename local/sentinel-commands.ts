/**
 * The commands of the Sentinel port, answered as Redis Sentinel 7.0 answers them: the same
 * reply types, field names and order, and error texts, so every Sentinel-aware client (ioredis,
 * node-redis, redis-py, redis-cli) works unchanged. The port (sentinel-port.ts) owns the
 * connections; this module only turns one command into one reply.
 */
import type { Address } from '../lambdas/core/types.ts';
import { array, bulk, bulks, error, fields, integer, map, nil, nilArray, OK, push, simple, type Reply } from './resp.ts';
import type { ErrorReply } from './resp-errors.ts';
import { infoMasterLine, masterFields, replicaFields, type InstanceView, type MasterView } from './sentinel-fields.ts';
import { messageOf } from '../lambdas/core/errors.ts';
import type { OperatorRequest } from '../lambdas/runtime/operator.ts';

/** What the orchestrator says to `SENTINEL FAILOVER`: OK, or the error reply of local/resp-errors.ts. */
export type FailoverAnswer = { ok: true } | ({ ok: false } & ErrorReply);

/** `SENTINEL FAILOVER <name> [COORDINATED]`: COORDINATED is Valkey's zero-loss handover of a live master. */
export interface FailoverOptions {
  readonly coordinated: boolean;
}

/** What `SENTINEL CKQUORUM` weighs: the voters that can vote and the master's quorum. */
export interface QuorumCheck {
  readonly voters: number;
  readonly quorum: number;
}

/** What the orchestrator answers with; the port turns it into Sentinel's replies. */
export interface SentinelPortHandlers {
  /** SENTINEL FAILOVER <name> [COORDINATED] */
  failover(name: string, options: FailoverOptions): Promise<FailoverAnswer>;
  /** SENTINEL GET-MASTER-ADDR-BY-NAME <name>: null when no such master */
  masterAddress(name: string): Promise<Address | null>;
  /** Names of the monitored masters, in config order. */
  masters(): readonly string[];
  /** The master group as a voter sees it; null when no such master (or none in the table yet). */
  master(name: string): Promise<MasterView | null>;
  /** Each replica known for the master (not the master of record), as a voter sees it; null when no such master. */
  replicas(name: string): Promise<readonly InstanceView[] | null>;
  /** SENTINEL CKQUORUM <name>: null when no such master */
  quorum(name: string): QuorumCheck | null;
  /** This project's SENTINEL PAUSE, RESUME, STATUS and HISTORY: the operator request's answer as JSON, or its error reply. */
  operator(request: OperatorRequest): Promise<{ ok: true; json: unknown } | ({ ok: false } & ErrorReply)>;
}

/** One client connection's state that commands read and change. */
export interface ClientState {
  readonly id: number;
  /** `ip:port` of the client, and of the port it reached. */
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt: number;
  protocol: 2 | 3;
  name: string;
  authenticated: boolean;
  libName: string;
  libVersion: string;
  readonly channels: Set<string>;
  readonly patterns: Set<string>;
  lastCommand: string;
  lastCommandAt: number;
  /** Set by CLIENT KILL: the port closes the connection once the reply is written. */
  killed: boolean;
}

/** What the whole port knows, for INFO, CLIENT LIST/KILL, SENTINEL MYID and AUTH. */
export interface PortContext {
  readonly handlers: SentinelPortHandlers;
  /** 40 hex characters, new at each start, as Sentinel's run_id and myid. */
  readonly runId: string;
  readonly port: () => number;
  readonly startedAt: number;
  /** The port's own password (Sentinel's `requirepass`), or null: then AUTH is refused as Sentinel refuses it. */
  readonly password: string | null;
  readonly clients: () => Iterable<ClientState>;
  readonly now: () => number;
}

/** The Redis version whose Sentinel this port answers as (HELLO, INFO). */
const SENTINEL_VERSION = '7.0.0';

const SUBSCRIBED_ONLY = new Set(['SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE', 'PING', 'QUIT', 'RESET']);
const BEFORE_AUTH = new Set(['AUTH', 'HELLO', 'QUIT']);

/**
 * Sentinel's subcommands that change what it monitors or how. Ours would be lost at the next
 * start and could disagree with the config file, so they are refused, saying where to change it.
 */
const CONFIGURING = new Set(['SET', 'RESET', 'MONITOR', 'REMOVE', 'CONFIG', 'FLUSHCONFIG', 'SIMULATE-FAILURE', 'DEBUG', 'INFO-CACHE', 'PENDING-SCRIPTS']);

/** Valkey's names for Sentinel's subcommands. */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['PRIMARY', 'MASTER'],
  ['PRIMARIES', 'MASTERS'],
  ['GET-PRIMARY-ADDR-BY-NAME', 'GET-MASTER-ADDR-BY-NAME'],
  ['IS-PRIMARY-DOWN-BY-ADDR', 'IS-MASTER-DOWN-BY-ADDR'],
  ['SLAVES', 'REPLICAS'],
]);

/** The SENTINEL subcommands answered, how many arguments each takes after its name, and what it does (SENTINEL HELP). */
const SENTINEL_SUBCOMMANDS: ReadonlyMap<string, { readonly min: number; readonly max: number; readonly help: string }> = new Map([
  ['MASTERS', { min: 0, max: 0, help: 'Show a list of monitored masters and their state.' }],
  ['MASTER', { min: 1, max: 1, help: '<master-name> Show the state and info of the specified master.' }],
  ['REPLICAS', { min: 1, max: 1, help: '<master-name> Show a list of replicas for this master and their state.' }],
  ['SENTINELS', { min: 1, max: 1, help: '<master-name> Show a list of Sentinel instances for this master and their state (none: the voters answer here).' }],
  ['GET-MASTER-ADDR-BY-NAME', { min: 1, max: 1, help: '<master-name> Return the ip and port number of the master with that name.' }],
  [
    'IS-MASTER-DOWN-BY-ADDR',
    { min: 4, max: 4, help: '<ip> <port> <current-epoch> <runid> Whether the voters hold the master at that address down (never votes for a leader).' },
  ],
  ['CKQUORUM', { min: 1, max: 1, help: '<master-name> Check if the current voters are enough to reach the quorum and the failover lease.' }],
  ['FAILOVER', { min: 1, max: 2, help: '<master-name> [COORDINATED] Manually failover a master node (COORDINATED: a handover without data loss).' }],
  ['MYID', { min: 0, max: 0, help: 'Return the ID of this Sentinel port.' }],
  // This project's own (docs/sentinel-port.md): the operator's actions, answered as JSON text.
  ['PAUSE', { min: 3, max: 3, help: '<master-name|*> <milliseconds> <reason> No automatic failover for that long (manual ones still run).' }],
  ['RESUME', { min: 1, max: 1, help: '<master-name|*> End the pause.' }],
  ['STATUS', { min: 0, max: 1, help: '[<master-name>] The master group as the table and the servers tell it now, as JSON.' }],
  ['HISTORY', { min: 0, max: 2, help: '[<master-name|*> [<count>]] The latest failovers and their phases, as JSON.' }],
  ['HELP', { min: 0, max: 0, help: 'Print this help.' }],
]);

interface CommandSpec {
  readonly arity: number;
  readonly flags: readonly string[];
  readonly group: string;
  readonly summary: string;
}

/** One row of COMMANDS: the flags as one space-separated string, so each command is one line. */
function spec(arity: number, flags: string, group: string, summary: string): CommandSpec {
  return { arity, flags: flags === '' ? [] : flags.split(' '), group, summary };
}

/** The commands answered, with the arity COMMAND INFO reports (negative: at least that many). */
const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map([
  ['ping', spec(-1, 'fast', 'connection', 'Ping the server')],
  ['auth', spec(-2, 'noscript loading stale fast no_auth allow_busy', 'connection', 'Authenticate to the server')],
  ['hello', spec(-1, 'noscript loading stale fast no_auth allow_busy', 'connection', 'Handshake with Redis')],
  ['client', spec(-2, '', 'connection', 'A container for client connection commands')],
  ['command', spec(-1, 'loading stale', 'server', 'Get array of Redis command details')],
  ['info', spec(-1, 'loading stale', 'server', 'Get information and statistics about the server')],
  ['role', spec(1, 'noscript loading stale fast', 'server', 'Return the role of the instance in the context of replication')],
  ['sentinel', spec(-2, 'admin sentinel only_sentinel', 'sentinel', 'A container for Sentinel commands')],
  ['subscribe', spec(-2, 'pubsub noscript loading stale', 'pubsub', 'Listen for messages published to the given channels')],
  ['psubscribe', spec(-2, 'pubsub noscript loading stale', 'pubsub', 'Listen for messages published to channels matching the given patterns')],
  ['unsubscribe', spec(-1, 'pubsub noscript loading stale', 'pubsub', 'Stop listening for messages posted to the given channels')],
  ['punsubscribe', spec(-1, 'pubsub noscript loading stale', 'pubsub', 'Stop listening for messages posted to channels matching the given patterns')],
  ['reset', spec(1, 'noscript loading stale fast no_auth allow_busy', 'connection', 'Reset the connection')],
  ['quit', spec(-1, 'allow_busy noscript loading stale fast no_auth', 'connection', 'Close the connection')],
]);

const NO_SUCH_MASTER = error('ERR No such master with that name');

/** The reply to one command; a handler that throws becomes `-ERR <message>`, never a crash. */
export async function answer(args: readonly string[], client: ClientState, ctx: PortContext): Promise<Reply> {
  const [command = '', ...rest] = args;
  const name = command.toUpperCase();
  if (ctx.password !== null && !client.authenticated && !BEFORE_AUTH.has(name)) return error('NOAUTH Authentication required.');
  // RESP2 in subscribe mode takes only these; RESP3 takes anything (its pushes are told apart).
  if (client.protocol === 2 && subscribed(client) && !SUBSCRIBED_ONLY.has(name)) {
    const shownName =
      rest.length > 0 && (name === 'SENTINEL' || name === 'CLIENT' || name === 'COMMAND')
        ? `${command.toLowerCase()}|${rest[0]!.toLowerCase()}`
        : command.toLowerCase();
    return error(`ERR Can't execute '${shownName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
  }
  try {
    switch (name) {
      case 'PING':
        if (rest.length > 1) return wrongArity('ping');
        // In RESP2 subscribe mode PING is answered as a message-like pair, as Redis does.
        if (client.protocol === 2 && subscribed(client)) return array([bulk('pong'), bulk(rest[0] ?? '')]);
        return rest.length === 1 ? bulk(rest[0]!) : simple('PONG');
      case 'HELLO':
        return hello(rest, client, ctx);
      case 'AUTH':
        return auth(rest, client, ctx);
      case 'ROLE':
        return rest.length > 0 ? wrongArity('role') : array([bulk('sentinel'), bulks(ctx.handlers.masters())]);
      case 'INFO':
        return bulk(await info(rest, ctx));
      case 'CLIENT':
        return client_(rest, client, ctx);
      case 'COMMAND':
        return commandCommand(rest);
      case 'RESET':
        resetClient(client, ctx);
        return simple('RESET');
      case 'SENTINEL':
        if (rest.length === 0) return wrongArity('sentinel');
        return await sentinel(rest[0]!, rest.slice(1), ctx);
      default:
        return unknownCommand(command, rest);
    }
  } catch (thrown) {
    return error(`ERR ${messageOf(thrown)}`);
  }
}

function subscribed(client: ClientState): boolean {
  return client.channels.size + client.patterns.size > 0;
}

/** RESET: subscriptions, name, protocol and (with a password) authentication back to a new connection's. */
function resetClient(client: ClientState, ctx: PortContext): void {
  client.channels.clear();
  client.patterns.clear();
  client.name = '';
  client.protocol = 2;
  client.authenticated = ctx.password === null;
}

/**
 * (P)SUBSCRIBE and (P)UNSUBSCRIBE: one confirmation per channel, with the count of subscriptions,
 * pushed in RESP3. Null for any other command.
 */
export function subscription(client: ClientState, args: readonly string[], ctx: PortContext): Reply[] | null {
  const [command = '', ...names] = args;
  const kind = command.toLowerCase();
  const set = kind === 'subscribe' || kind === 'unsubscribe' ? client.channels : kind === 'psubscribe' || kind === 'punsubscribe' ? client.patterns : null;
  if (set === null) return null;
  if (ctx.password !== null && !client.authenticated) return [error('NOAUTH Authentication required.')];
  const adding = !kind.includes('unsubscribe');
  if (adding && names.length === 0) return [wrongArity(kind)];
  const count = () => integer(client.channels.size + client.patterns.size);
  // UNSUBSCRIBE with no names leaves every channel (Redis answers once with a nil name when there were none).
  const targets = names.length > 0 ? names : [...set];
  if (targets.length === 0) return [push([bulk(kind), nil, count()])];
  return targets.map((channel) => {
    if (adding) set.add(channel);
    else set.delete(channel);
    return push([bulk(kind), bulk(channel), count()]);
  });
}

function hello(args: readonly string[], client: ClientState, ctx: PortContext): Reply {
  let protocol = client.protocol;
  let i = 0;
  if (args.length > 0) {
    const version = Number(args[0]);
    if (!/^\d+$/.test(args[0]!)) return error('ERR Protocol version is not an integer or out of range');
    if (version !== 2 && version !== 3) return error('NOPROTO unsupported protocol version');
    protocol = version;
    i = 1;
  }
  let name: string | null = null;
  for (; i < args.length; i++) {
    const option = args[i]!.toUpperCase();
    if (option === 'AUTH' && i + 2 < args.length) {
      const refused = checkPassword(args[i + 1]!, args[i + 2]!, ctx, true);
      if (refused) return refused;
      client.authenticated = true;
      i += 2;
    } else if (option === 'SETNAME' && args[i + 1] !== undefined) {
      if (!validName(args[i + 1]!)) return BAD_NAME;
      name = args[i + 1]!;
      i += 1;
    } else {
      return error(`ERR Syntax error in HELLO option '${args[i]}'`);
    }
  }
  if (ctx.password !== null && !client.authenticated)
    return error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  client.protocol = protocol;
  if (name !== null) client.name = name;
  return map([
    [bulk('server'), bulk('redis')],
    [bulk('version'), bulk(SENTINEL_VERSION)],
    [bulk('proto'), integer(protocol)],
    [bulk('id'), integer(client.id)],
    [bulk('mode'), bulk('sentinel')],
    [bulk('modules'), array([])],
  ]);
}

function auth(args: readonly string[], client: ClientState, ctx: PortContext): Reply {
  if (args.length < 1 || args.length > 2) return wrongArity('auth');
  const [user, password] = args.length === 2 ? [args[0]!, args[1]!] : ['default', args[0]!];
  const refused = checkPassword(user, password, ctx, args.length === 2);
  if (refused) return refused;
  client.authenticated = true;
  return OK;
}

/** Sentinel's answers: with no password, AUTH <password> is an error and only `default` exists (accepting any password). */
function checkPassword(user: string, password: string, ctx: PortContext, withUser: boolean): Reply | null {
  if (ctx.password === null) {
    if (!withUser) return error('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    return user === 'default' ? null : WRONGPASS;
  }
  return user === 'default' && password === ctx.password ? null : WRONGPASS;
}

const WRONGPASS = error('WRONGPASS invalid username-password pair or user is disabled.');
const BAD_NAME = error('ERR Client names cannot contain spaces, newlines or special characters.');

function validName(name: string): boolean {
  return /^[!-~]*$/.test(name);
}

async function info(sections: readonly string[], ctx: PortContext): Promise<string> {
  const wanted = new Set(sections.map((s) => s.toLowerCase()));
  const all = wanted.size === 0 || wanted.has('all') || wanted.has('everything') || wanted.has('default');
  const parts: string[] = [];
  const now = ctx.now();
  if (all || wanted.has('server')) {
    const uptime = Math.floor((now - ctx.startedAt) / 1000);
    parts.push(
      section('Server', [
        `redis_version:${SENTINEL_VERSION}`,
        'redis_mode:sentinel',
        // Ours: tells our own tools (and people) that this is the orchestrator, not a real Sentinel.
        'redis_failover:1',
        `os:${process.platform}`,
        `process_id:${process.pid}`,
        `run_id:${ctx.runId}`,
        `tcp_port:${ctx.port()}`,
        `uptime_in_seconds:${uptime}`,
        `uptime_in_days:${Math.floor(uptime / 86_400)}`,
      ]),
    );
  }
  if (all || wanted.has('clients')) parts.push(section('Clients', [`connected_clients:${[...ctx.clients()].length}`]));
  if (all || wanted.has('sentinel')) {
    const names = ctx.handlers.masters();
    const views = await Promise.all(names.map((name) => ctx.handlers.master(name)));
    const lines = views.filter((v): v is MasterView => v !== null).map((view, i) => infoMasterLine(i, view));
    parts.push(
      section('Sentinel', [
        `sentinel_masters:${names.length}`,
        'sentinel_tilt:0',
        'sentinel_tilt_since_seconds:-1',
        'sentinel_running_scripts:0',
        'sentinel_scripts_queue_length:0',
        'sentinel_simulate_failure_flags:0',
        ...lines,
      ]),
    );
  }
  return parts.join('');
}

function section(title: string, lines: readonly string[]): string {
  return `# ${title}\r\n${lines.map((line) => `${line}\r\n`).join('')}\r\n`;
}

function client_(args: readonly string[], client: ClientState, ctx: PortContext): Reply {
  const [sub = '', ...rest] = args;
  switch (sub.toUpperCase()) {
    case 'SETNAME':
      if (rest.length !== 1) return wrongArity('client|setname');
      if (!validName(rest[0]!)) return BAD_NAME;
      client.name = rest[0]!;
      return OK;
    case 'GETNAME':
      return client.name === '' ? nil : bulk(client.name);
    case 'ID':
      return integer(client.id);
    case 'INFO':
      return bulk(`${clientLine(client, ctx.now())}\n`);
    case 'LIST':
      return bulk([...ctx.clients()].map((c) => `${clientLine(c, ctx.now())}\n`).join(''));
    case 'SETINFO': {
      if (rest.length !== 2) return wrongArity('client|setinfo');
      const attribute = rest[0]!.toUpperCase();
      if (attribute !== 'LIB-NAME' && attribute !== 'LIB-VER') return error(`ERR Unrecognized option '${rest[0]}'`);
      if (!validName(rest[1]!)) return error(`ERR ${attribute.toLowerCase()} cannot contain spaces, newlines or special characters.`);
      if (attribute === 'LIB-NAME') client.libName = rest[1]!;
      else client.libVersion = rest[1]!;
      return OK;
    }
    case 'KILL':
      return kill(rest, client, ctx);
    case 'HELP':
      return array(
        [
          'CLIENT <subcommand> [<arg> ...]. Subcommands are:',
          'GETNAME',
          'ID',
          'INFO',
          'KILL <ip:port> | <option> <value> [...]',
          'LIST',
          'SETINFO <LIB-NAME|LIB-VER> <value>',
          'SETNAME <name>',
        ].map(simple),
      );
    default:
      return error(`ERR unknown subcommand '${shown(sub)}'. Try CLIENT HELP.`);
  }
}

/** CLIENT KILL <addr> (the old form: +OK or an error) or CLIENT KILL <filter> <value>… (how many were killed). */
function kill(args: readonly string[], self: ClientState, ctx: PortContext): Reply {
  const clients = [...ctx.clients()];
  if (args.length === 1) {
    const target = clients.find((c) => c.addr === args[0]);
    if (!target) return error('ERR No such client');
    target.killed = true;
    return OK;
  }
  if (args.length === 0 || args.length % 2 !== 0) return error('ERR syntax error');
  let skipMe = true;
  const tests: Array<(c: ClientState) => boolean> = [];
  for (let i = 0; i < args.length; i += 2) {
    const [filter, value] = [args[i]!.toUpperCase(), args[i + 1]!];
    if (filter === 'ID') tests.push((c) => String(c.id) === value);
    else if (filter === 'ADDR') tests.push((c) => c.addr === value);
    else if (filter === 'LADDR') tests.push((c) => c.laddr === value);
    else if (filter === 'USER') tests.push(() => value === 'default');
    else if (filter === 'TYPE') {
      const type = value.toLowerCase();
      if (!['normal', 'pubsub', 'master', 'replica', 'slave'].includes(type)) return error(`ERR Unknown client type '${value}'`);
      tests.push((c) => (type === 'pubsub' ? subscribed(c) : type === 'normal' ? !subscribed(c) : false));
    } else if (filter === 'SKIPME') {
      if (!/^(yes|no)$/i.test(value)) return error('ERR syntax error');
      skipMe = value.toLowerCase() === 'yes';
    } else if (filter === 'MAXAGE') tests.push((c) => ctx.now() - c.createdAt >= Number(value) * 1000);
    else return error('ERR syntax error');
  }
  const targets = clients.filter((c) => !(skipMe && c === self) && tests.every((test) => test(c)));
  for (const target of targets) target.killed = true;
  return integer(targets.length);
}

/** A CLIENT LIST line, with the fields Sentinel's carry (those that mean nothing here are zero). */
function clientLine(c: ClientState, now: number): string {
  const age = Math.floor((now - c.createdAt) / 1000);
  const idle = Math.floor((now - c.lastCommandAt) / 1000);
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=0 name=${c.name} age=${age} idle=${idle} flags=${subscribed(c) ? 'P' : 'N'} db=0 ` +
    `sub=${c.channels.size} psub=${c.patterns.size} ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r ` +
    `cmd=${c.lastCommand} user=default redir=-1 resp=${c.protocol} lib-name=${c.libName} lib-ver=${c.libVersion}`
  );
}

function commandCommand(args: readonly string[]): Reply {
  const [sub, ...names] = args;
  if (sub === undefined) return array([...COMMANDS.keys()].map(commandInfo));
  switch (sub.toUpperCase()) {
    case 'COUNT':
      return integer(COMMANDS.size);
    case 'LIST':
      return bulks([...COMMANDS.keys()]);
    case 'INFO':
      return array(
        (names.length > 0 ? names : [...COMMANDS.keys()]).map((name) => (COMMANDS.has(name.toLowerCase()) ? commandInfo(name.toLowerCase()) : nilArray)),
      );
    case 'DOCS': {
      const wanted = (names.length > 0 ? names.map((n) => n.toLowerCase()) : [...COMMANDS.keys()]).filter((name) => COMMANDS.has(name));
      return map(
        wanted.map((name) => {
          const doc = COMMANDS.get(name)!;
          return [
            bulk(name),
            map([
              [bulk('summary'), bulk(doc.summary)],
              [bulk('since'), bulk('1.0.0')],
              [bulk('group'), bulk(doc.group)],
              [bulk('complexity'), bulk('O(1)')],
            ]),
          ] as const;
        }),
      );
    }
    default:
      return error(`ERR unknown subcommand '${shown(sub)}'. Try COMMAND HELP.`);
  }
}

/** One COMMAND INFO entry: name, arity, flags, first/last key, step, ACL categories, tips, key specs, subcommands. */
function commandInfo(name: string): Reply {
  const command = COMMANDS.get(name)!;
  return array([
    bulk(name),
    integer(command.arity),
    array(command.flags.map(simple)),
    integer(0),
    integer(0),
    integer(0),
    array([simple(`@${command.group}`)]),
    array([]),
    array([]),
    array([]),
  ]);
}

async function sentinel(subcommand: string, args: readonly string[], ctx: PortContext): Promise<Reply> {
  const upper = subcommand.toUpperCase();
  const name = ALIASES.get(upper) ?? upper;
  if (CONFIGURING.has(name)) {
    return error(`ERR SENTINEL ${name} is not supported: the config file is the configuration; edit it and restart redis-failover local`);
  }
  const spec = SENTINEL_SUBCOMMANDS.get(name);
  if (!spec) return error(`ERR unknown subcommand '${shown(subcommand)}'. Try SENTINEL HELP.`);
  if (args.length < spec.min || args.length > spec.max) return wrongArity(`sentinel|${subcommand.toLowerCase()}`);
  const { handlers } = ctx;
  const [master = ''] = args;
  switch (name) {
    case 'FAILOVER': {
      const options = failoverOptions(args[1]);
      if (!options) return error('ERR syntax error');
      const outcome = await handlers.failover(master, options);
      return outcome.ok ? OK : error(`${outcome.code} ${outcome.message}`);
    }
    case 'GET-MASTER-ADDR-BY-NAME': {
      const address = await handlers.masterAddress(master);
      return address ? bulks([address.host, String(address.port)]) : nilArray;
    }
    case 'MASTER': {
      const view = await handlers.master(master);
      return view ? fields(masterFields(view, ctx.now())) : NO_SUCH_MASTER;
    }
    case 'MASTERS': {
      const views = await Promise.all(handlers.masters().map((n) => handlers.master(n)));
      // A master not (yet) in the table has nothing to show; Sentinel lists only what it monitors.
      return array(views.filter((v): v is MasterView => v !== null).map((view) => fields(masterFields(view, ctx.now()))));
    }
    case 'REPLICAS': {
      const [view, replicas] = await Promise.all([handlers.master(master), handlers.replicas(master)]);
      if (!view || !replicas) return NO_SUCH_MASTER;
      return array(replicas.map((replica) => fields(replicaFields(replica, view.downAfterMs, ctx.now()))));
    }
    case 'CKQUORUM': {
      const check = handlers.quorum(master);
      return check ? quorumReply(check) : NO_SUCH_MASTER;
    }
    case 'PAUSE':
    case 'RESUME':
    case 'STATUS':
    case 'HISTORY': {
      const request = operatorRequest(name, args);
      if (!request) return error('ERR syntax error');
      const answer = await handlers.operator(request);
      return answer.ok ? bulk(JSON.stringify(answer.json)) : error(`${answer.code} ${answer.message}`);
    }
    case 'IS-MASTER-DOWN-BY-ADDR':
      return isMasterDown(args, ctx);
    case 'MYID':
      return bulk(ctx.runId);
    case 'HELP':
      return array([
        simple('SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'),
        ...[...SENTINEL_SUBCOMMANDS].map(([sub, { help }]) => simple(`${sub} ${help}`)),
      ]);
    default:
      // SENTINELS: the voters are not Sentinels a client could ask instead of us, there are none to list.
      return handlers.masters().includes(master) ? array([]) : NO_SUCH_MASTER;
  }
}

/** The operator request of PAUSE, RESUME, STATUS or HISTORY; null for numbers that are not. */
function operatorRequest(name: string, args: readonly string[]): OperatorRequest | null {
  const [master = '*', second] = args;
  const whole = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : null);
  switch (name) {
    case 'PAUSE': {
      const forMs = whole(second);
      return forMs === null ? null : { action: 'pause', master, forMs, reason: args[2] ?? '' };
    }
    case 'RESUME':
      return { action: 'resume', master };
    case 'STATUS':
      return { action: 'status', master };
    default: {
      const limit = second === undefined ? undefined : whole(second);
      return limit === null ? null : { action: 'history', master, ...(limit !== undefined && { limit }) };
    }
  }
}

/**
 * IS-MASTER-DOWN-BY-ADDR <ip> <port> <epoch> <runid>: whether the voters hold the master at that
 * address SDOWN, as `[down, leader, epoch]`. The port never votes in a Sentinel election: the
 * leader is always `*`, the epoch 0.
 */
async function isMasterDown(args: readonly string[], ctx: PortContext): Promise<Reply> {
  const [host, portText, epochText] = args as [string, string, string, string];
  if (!/^\d+$/.test(portText) || !/^\d+$/.test(epochText)) return error('ERR value is not an integer or out of range');
  const views = await Promise.all(ctx.handlers.masters().map((name) => ctx.handlers.master(name)));
  const view = views.find((v) => v !== null && v.address.host === host && v.address.port === Number(portText));
  const down = view?.watch?.sdownSince != null ? 1 : 0;
  return array([integer(down), bulk('*'), integer(0)]);
}

/** The optional token after `SENTINEL FAILOVER <name>`; null for anything but COORDINATED. */
export function failoverOptions(token: string | undefined): FailoverOptions | null {
  if (token === undefined) return { coordinated: false };
  return token.toUpperCase() === 'COORDINATED' ? { coordinated: true } : null;
}

/**
 * CKQUORUM in Sentinel's words, for our voters: Sentinel also needs a majority to authorize a
 * failover, where we need the lease in the table, which any one leader can take.
 */
export function quorumReply({ voters, quorum }: QuorumCheck): Reply {
  return voters >= quorum
    ? simple(`OK ${voters} usable voters. Quorum ${quorum} and the failover lease can be reached`)
    : error(`NOQUORUM ${voters} usable voters, quorum is ${quorum}`);
}

function wrongArity(command: string): Reply {
  return error(`ERR wrong number of arguments for '${command}' command`);
}

/** Redis' text: the command, then the first arguments quoted, each followed by a space. */
function unknownCommand(command: string, args: readonly string[]): Reply {
  let shownArgs = '';
  for (const arg of args) {
    if (shownArgs.length + arg.length > 128) break;
    shownArgs += `'${arg}' `;
  }
  // Built by hand: Redis' text ends in a space, which error() would trim.
  return { kind: 'error', text: `ERR unknown command '${oneLine(shown(command))}', with args beginning with: ${oneLine(shownArgs)}` };
}

const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ');

/** A client-supplied name as echoed in an error: one line, not too long. */
function shown(text: string): string {
  return text.length > 128 ? `${text.slice(0, 128)}...` : text;
}
