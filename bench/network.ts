/**
 * Real network partitions for the benchmark and the integration tests, built from Linux network
 * namespaces: one "hub" namespace holding a bridge, and one namespace per node whose `eth0` is a veth
 * enslaved to that bridge. A cut drops packets with nftables inside the node namespaces, so
 * connections across it hang and time out instead of being refused, as on a real partition.
 *
 * Nothing is ever added to the root namespace: every address, link and rule lives in a namespace
 * created here, and `dispose()` deletes those namespaces (which removes their veths and rules).
 * Linux and root only; see {@link Network.available}. IPv4 only.
 *
 * Names: `rf<id>-<node>` for the nodes and `rf<id>-hub-<pid>` for the hub, where `<id>` is the
 * subnet's third octet in two hex digits plus two random characters, and `<pid>` the creating process
 * (so {@link Network.removeLeftovers} can tell a crashed run's namespaces from a live one's).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { messageOf } from '../lambdas/core/errors.ts';

/** Whether this machine can build partitions, and why not when it cannot. */
export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** What {@link Network.exec} returns: `code` is null when the command was killed (`signal`). */
export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the command was still running after `timeoutMs` and was killed for it. */
  readonly timedOut: boolean;
}

export interface ExecOptions {
  /** SIGKILL the command after this long (no limit by default). */
  readonly timeoutMs?: number;
  /** Written to its standard input, which is then closed. */
  readonly input?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const SUBNET_PREFIX = '10.213';
const TABLE = 'inet rfpart';
/** `rf` + id (octet in hex, 2 random) + `-` + the rest (a node name, or `hub-<pid>`). */
const NAME = /^rf([0-9a-f]{2}[0-9a-z]{2})-(.+)$/;
const HUB = /^hub-(\d+)$/;
/** No `-`, so a node's namespace can never look like a hub's. */
const NODE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;
const MAX_NODES = 254;

/** Every rule a node namespace gets: one set of cut-off peers, dropped both ways. */
const RULESET = `table ${TABLE} {
  set cut { type ipv4_addr; }
  chain input { type filter hook input priority filter; policy accept; ip saddr @cut drop; }
  chain output { type filter hook output priority filter; policy accept; ip daddr @cut drop; }
}
`;

/** Harnesses of this process not yet disposed, removed synchronously on exit or on a fatal signal. */
const live = new Set<Network>();
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function onExit(): void {
  for (const network of [...live]) network.disposeSync();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  uninstallHandlers();
  // Our listener replaced the default action (terminate): restore it unless someone else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstallHandlers(): void {
  process.removeListener('exit', onExit);
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
}

function register(network: Network): void {
  if (live.size === 0) installHandlers();
  live.add(network);
}

function unregister(network: Network): void {
  if (live.delete(network) && live.size === 0) uninstallHandlers();
}

/** Octets taken by this process's harnesses, including those still being created. */
const octetsInUse = new Set<number>();

let availability: Promise<Availability> | undefined;

export class Network {
  private readonly children = new Set<ChildProcess>();
  /** Per node, the nodes it is cut off from. */
  private readonly blocked = new Map<string, Set<string>>();
  private disposing: Promise<void> | undefined;
  private updates: Promise<unknown> = Promise.resolve();
  /** Created first and deleted last; it carries the creating pid for {@link Network.removeLeftovers}. */
  private readonly hub: string;

  private constructor(
    /** Four characters naming this harness's namespaces: `rf<id>-…`. */
    readonly id: string,
    private readonly octet: number,
    readonly nodes: readonly string[],
  ) {
    this.hub = `rf${id}-hub-${process.pid}`;
  }

  /**
   * True when partitions can be built here: Linux, root, `ip` and `nft` present, and a probe
   * namespace with a bridge, a veth and an nft table can be created and removed. Checked once.
   */
  static available(): Promise<Availability> {
    availability ??= probe();
    return availability;
  }

  /** Creates a namespace per node, all on one bridge, each with its (empty) nft table. */
  static async create(nodes: readonly string[]): Promise<Network> {
    if (nodes.length === 0 || nodes.length > MAX_NODES) throw new Error(`a network needs 1 to ${MAX_NODES} nodes, not ${nodes.length}`);
    for (const node of nodes) if (!NODE_NAME.test(node)) throw new Error(`node name ${JSON.stringify(node)} must match ${NODE_NAME}`);
    if (new Set(nodes).size !== nodes.length) throw new Error(`node names must be unique: ${nodes.join(', ')}`);

    await Network.removeLeftovers();
    const network = await Network.claim(nodes);
    try {
      await network.build();
      return network;
    } catch (error) {
      await network.dispose();
      throw error;
    }
  }

  /**
   * Deletes the namespaces of earlier harnesses whose creating process is dead (a crashed or killed
   * run), first killing whatever still runs in them. Returns the namespaces deleted.
   */
  static async removeLeftovers(): Promise<string[]> {
    const stale = staleNamespaces(await listNamespaces());
    if (stale.length === 0) return [];
    await killPidsIn(stale);
    await deleteNamespaces(stale);
    return stale;
  }

  /** `10.213.<octet>.0/24`. */
  get subnet(): string {
    return `${SUBNET_PREFIX}.${this.octet}.0/24`;
  }

  /** The node's IPv4 address on the bridge. */
  address(node: string): string {
    return `${SUBNET_PREFIX}.${this.octet}.${this.index(node) + 1}`;
  }

  /** The name of the node's namespace (for `ip netns exec` by hand). */
  namespace(node: string): string {
    this.index(node);
    return `rf${this.id}-${node}`;
  }

  private get namespaces(): string[] {
    return this.nodes.map((node) => this.namespace(node));
  }

  /**
   * Runs `command` inside the node's namespace, like `child_process.spawn`. `ip netns exec` execs the
   * command in place (no fork), so the child's pid is the command's own: kill it by pid as usual.
   * {@link dispose} SIGKILLs it if it is still running.
   */
  spawn(node: string, command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
    if (this.disposing) throw new Error(`network rf${this.id} is disposed`);
    const child = spawn('ip', ['netns', 'exec', this.namespace(node), command, ...args], options);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    child.once('error', () => this.children.delete(child));
    return child;
  }

  /** Runs `command` in the node's namespace to its end; never rejects for a non-zero exit or a timeout. */
  exec(node: string, command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
    const child = this.spawn(node, command, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd, env: options.env });
    return collect(child, options);
  }

  /**
   * Drops every packet between each node of `sideA` and each node of `sideB`, both ways; other pairs
   * are untouched, and earlier cuts stay. One `nft -f` transaction per namespace involved, all at once.
   * Resolves with the milliseconds it took.
   */
  cut(sideA: readonly string[], sideB: readonly string[]): Promise<number> {
    if (sideA.length === 0 || sideB.length === 0) throw new Error('cut needs at least one node on each side');
    for (const node of [...sideA, ...sideB]) this.index(node);
    const overlap = sideA.filter((node) => sideB.includes(node));
    if (overlap.length > 0) throw new Error(`cut: ${overlap.join(', ')} on both sides`);
    return this.serially(() => {
      for (const [from, to] of [
        [sideA, sideB],
        [sideB, sideA],
      ] as const) {
        for (const node of from) {
          let set = this.blocked.get(node);
          if (!set) this.blocked.set(node, (set = new Set()));
          for (const other of to) set.add(other);
        }
      }
      return [...new Set([...sideA, ...sideB])];
    });
  }

  /** Removes every cut. Resolves with the milliseconds it took. */
  heal(): Promise<number> {
    return this.serially(() => {
      const nodes = [...this.blocked.keys()];
      this.blocked.clear();
      return nodes;
    });
  }

  /**
   * Applies one change of the cuts after the previous one is in place: each nft script carries a
   * node's whole set, so two overlapping updates out of order would lose a cut.
   */
  private serially(change: () => readonly string[]): Promise<number> {
    const done = this.updates.then(async () => {
      if (this.disposing) throw new Error(`network rf${this.id} is disposed`);
      const started = performance.now();
      await Promise.all(change().map((node) => this.applyRules(node)));
      return performance.now() - started;
    });
    this.updates = done.catch(() => undefined);
    return done;
  }

  /**
   * SIGKILLs every process spawned here and anything else still running in the namespaces, then
   * deletes every namespace (and with them their veths, addresses and rules). Idempotent.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.disposeNow();
    return this.disposing;
  }

  /** {@link dispose} for `process.on('exit')`, where only synchronous work runs. */
  disposeSync(): void {
    if (!this.disposing) this.disposing = Promise.resolve();
    unregister(this);
    for (const child of this.children) if (child.pid !== undefined) killQuietly(child.pid);
    const names = this.ownNamespaces();
    for (const name of names) killAll(parsePids(spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? ''));
    spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((name) => `netns del ${name}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'] });
    octetsInUse.delete(this.octet);
  }

  private async disposeNow(): Promise<void> {
    const exits = [...this.children].map((child) => exited(child));
    for (const child of this.children) child.kill('SIGKILL');
    // Our own children are reaped only by Node: wait for that, so their pids are really gone afterwards.
    await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    const names = this.ownNamespaces();
    await killPidsIn(names);
    await deleteNamespaces(names);
    octetsInUse.delete(this.octet);
    unregister(this);
  }

  /** Nodes before the hub, so a namespace of this id without a hub is always a leftover. */
  private ownNamespaces(): string[] {
    return [...this.namespaces, this.hub];
  }

  private async build(): Promise<void> {
    await ip(['-n', this.hub, '-batch', '-'], 'link set lo up\nlink add br0 type bridge\nlink set br0 up\n');
    await Promise.all(
      this.nodes.map(async (node, index) => {
        const name = this.namespace(node);
        await ip(['netns', 'add', name]);
        await ip(
          ['-n', name, '-batch', '-'],
          [
            'link set lo up',
            // Created here and its peer straight in the hub: neither end ever exists in the root namespace.
            `link add eth0 type veth peer name v${index} netns ${this.hub}`,
            `addr add ${this.address(node)}/24 dev eth0`,
            'link set eth0 up',
          ].join('\n') + '\n',
        );
        await nft(name, RULESET);
      }),
    );
    // Without STP (the default), a bridge port forwards as soon as it is up.
    await ip(['-n', this.hub, '-batch', '-'], this.nodes.map((_, index) => `link set v${index} master br0\nlink set v${index} up\n`).join(''));
  }

  /** Replaces the node's set of cut-off peers with the current one, in one transaction. */
  private async applyRules(node: string): Promise<void> {
    const peers = [...(this.blocked.get(node) ?? [])].map((other) => this.address(other));
    let script = `flush set ${TABLE} cut\n`;
    if (peers.length > 0) script += `add element ${TABLE} cut { ${peers.join(', ')} }\n`;
    await nft(this.namespace(node), script);
  }

  private index(node: string): number {
    const index = this.nodes.indexOf(node);
    if (index < 0) throw new Error(`no node ${JSON.stringify(node)} in network rf${this.id} (nodes: ${this.nodes.join(', ')})`);
    return index;
  }

  /**
   * Picks a subnet octet no harness on this machine uses and creates the hub namespace for it: `ip
   * netns add` fails when the name exists, so two processes never end up with the same names. (Two
   * harnesses sharing an octet would not interfere anyway: their bridges are in different namespaces.)
   */
  private static async claim(nodes: readonly string[]): Promise<Network> {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const used = new Set(octetsInUse);
      for (const name of await listNamespaces()) {
        const match = NAME.exec(name);
        if (match?.[1]) used.add(Number.parseInt(match[1].slice(0, 2), 16));
      }
      const free: number[] = [];
      for (let octet = 1; octet <= 254; octet += 1) if (!used.has(octet)) free.push(octet);
      const octet = free[randomInt(free.length)];
      if (octet === undefined) throw new Error(`every ${SUBNET_PREFIX}.x.0/24 subnet is taken by a live network harness`);
      const network = new Network(octet.toString(16).padStart(2, '0') + randomChars(2), octet, nodes);
      octetsInUse.add(octet);
      try {
        await ip(['netns', 'add', network.hub]);
      } catch (error) {
        octetsInUse.delete(octet);
        if (String(error).includes('File exists')) continue;
        throw error;
      }
      // From here on, an exit or dispose() removes whatever exists of it.
      register(network);
      return network;
    }
    throw new Error('could not claim a network namespace name after 20 attempts');
  }
}

function randomChars(count: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < count; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** The namespaces of harnesses whose creating process is gone (or which lost their hub mid-dispose). */
function staleNamespaces(names: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  const alive = new Map<string, boolean>();
  for (const name of names) {
    const match = NAME.exec(name);
    if (!match?.[1] || match[2] === undefined) continue;
    const id = match[1];
    groups.set(id, [...(groups.get(id) ?? []), name]);
    const pid = HUB.exec(match[2])?.[1];
    if (pid !== undefined) alive.set(id, pidAlive(Number(pid)));
  }
  // A hub is created before its nodes and deleted after them: nodes without a hub are leftovers.
  return [...groups].filter(([id]) => alive.get(id) !== true).flatMap(([, group]) => group);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * SIGKILLs every process in these namespaces: a namespace outlives its name while anything runs in
 * it. A namespace holding this very process (a name attached to the root namespace, say) is skipped.
 */
async function killPidsIn(names: readonly string[]): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const { stdout } = await tool('ip', ['netns', 'pids', name], undefined, true);
      killAll(parsePids(stdout));
    }),
  );
}

function killAll(pids: readonly number[]): void {
  if (pids.includes(process.pid)) return;
  for (const pid of pids) killQuietly(pid);
}

/** One `ip -batch` for all: a missing one is not an error (dispose is idempotent). */
async function deleteNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const { code, stderr } = await tool('ip', ['-force', '-batch', '-'], names.map((name) => `netns del ${name}\n`).join(''), true);
  const failures = stderr.split('\n').filter((line) => line.trim() !== '' && !line.includes('No such file or directory') && !line.startsWith('Command failed'));
  if (code !== 0 && failures.length > 0) throw new Error(`deleting network namespaces failed: ${failures.join('; ')}`);
}

function parsePids(text: string): number[] {
  return text
    .split(/\s+/)
    .filter((word) => /^\d+$/.test(word))
    .map(Number);
}

async function listNamespaces(): Promise<string[]> {
  const { stdout } = await ip(['netns', 'list']);
  // Lines look like `rf2a7k-m (id: 3)`.
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

function ip(args: readonly string[], input?: string): Promise<ToolResult> {
  return tool('ip', args, input);
}

function nft(namespace: string, script: string): Promise<ToolResult> {
  return tool('ip', ['netns', 'exec', namespace, 'nft', '-f', '-'], script);
}

interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool to its end; rejects with its stderr on a non-zero exit unless `allowFailure`. */
async function tool(command: string, args: readonly string[], input?: string, allowFailure = false): Promise<ToolResult> {
  const result = await collect(spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] }), { input: input ?? '' });
  if (result.code !== 0 && !allowFailure) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.code ?? result.signal}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

function collect(child: ChildProcess, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A command that exits without reading its input must not fail us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function probe(): Promise<Availability> {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux, not ${process.platform}` };
  const uid = process.getuid?.();
  if (uid !== 0) return { ok: false, reason: `network namespaces need root (uid is ${uid})` };
  for (const [command, args, hint] of [
    ['ip', ['-V'], 'the iproute2 package'],
    ['nft', ['--version'], 'the nftables package; scripts/setup.sh installs it'],
  ] as const) {
    try {
      await tool(command, args);
    } catch {
      return { ok: false, reason: `\`${command}\` not found (${hint})` };
    }
  }
  // Named like a hub of octet 0 (never a harness's): should this process die now, removeLeftovers deletes it.
  const name = `rf00${randomChars(2)}-hub-${process.pid}`;
  try {
    await ip(['netns', 'add', name]);
    await ip(['-n', name, '-batch', '-'], 'link set lo up\nlink add br0 type bridge\nlink add p0 type veth peer name p1\n');
    await nft(name, RULESET);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `cannot build a probe namespace: ${firstLine(error)}` };
  } finally {
    await tool('ip', ['netns', 'del', name], undefined, true);
  }
}

function firstLine(error: unknown): string {
  return messageOf(error).split('\n')[0] ?? '';
}
