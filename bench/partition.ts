/**
 * One partition trial: a master and two replicas, the failover system (three sentinels, or this
 * project's local runtime with three voters) and a writer, each in its own network namespace
 * (bench/network.ts). The master and the writer are cut off from everything else for a while,
 * then the network heals. What counts is what a user loses: acknowledged writes missing on the
 * master at the end, time with two servers taking writes as masters, failovers, and how long the
 * old master keeps taking writes after the heal.
 *
 * The controller reaches nothing inside the namespaces: every observation comes over the pipes
 * of processes running there (bench/agent.ts, redis-cli).
 */
import { type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../lambdas/core/wait.ts';
import { Network } from './network.ts';
import { writeSentinelConfig } from './sentinels.ts';

export type PartitionSystem = 'redis-failover' | 'sentinel';

/** The partition benchmark's columns: ours without and with the fencing it manages, and Sentinel. */
export type PartitionVariant = 'redis-failover' | 'redis-failover-fenced' | 'sentinel';
export const PARTITION_VARIANTS: readonly PartitionVariant[] = ['redis-failover', 'redis-failover-fenced', 'sentinel'];

export interface PartitionOptions {
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  /** How long the master and the writer stay cut off. */
  readonly partitionMs: number;
  /**
   * `min-replicas-to-write 1` / `min-replicas-max-lag <s>` on every server, as an operator sets it by hand.
   * @default - none
   */
  readonly minReplicasMaxLagSeconds?: number;
  /**
   * Ours only: the fencing the orchestrator manages (`fencing: true` in the config).
   * @default false
   */
  readonly managedFencing?: boolean;
  /**
   * Ours only: the witness rule (`witnesses: true`).
   * @default false
   */
  readonly witnesses?: boolean;
  /**
   * Who is cut off: `master-side`, the master and the writer from the replicas and the failover
   * system; `voters-only`, the master from the failover system only (its replicas and its
   * writer still reach it: a failover there is a false one).
   * @default 'master-side'
   */
  readonly scenario?: 'master-side' | 'voters-only';
  /**
   * A flapping link: for the whole partition, cut for `flapMs`, healed for `flapMs`, again and again.
   * @default - cut for the whole partition
   */
  readonly flapMs?: number;
}

export interface PartitionResult {
  readonly system: PartitionSystem;
  readonly variant: PartitionVariant;
  readonly partitionMs: number;
  readonly ackedWrites: number;
  /** Acknowledged writes the master at the end does not have. */
  readonly lostWrites: number;
  /** From the first lost write's acknowledgement to the last's: how long the writes that were lost were being taken (independent of the writer's pace). */
  readonly lostWindowMs: number;
  /** Time during which two servers reported role:master and took writes (a fenced master refuses them). */
  readonly twoMastersMs: number;
  readonly failovers: number;
  /**
   * `+sdown`/`+odown` the system published of a server that was never cut off (everything but
   * the master): a verdict about a server that answered all along.
   */
  readonly falseVerdicts: readonly string[];
  /** Heal → the old master reports role:slave; null when not within 30 s, or when there was no failover. */
  readonly demotedAfterHealMs: number | null;
}

const REDIS_PORT = 6379;
const SENTINEL_PORTS = [26379, 26380, 26381];
const NODES = ['m', 'r1', 'r2', 'sys', 'w', 'obs'] as const;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/redis-failover.mjs', import.meta.url));

export async function runPartitionTrial(system: PartitionSystem, options: PartitionOptions): Promise<PartitionResult> {
  const net = await Network.create(NODES);
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-partition-'));
  const children: ChildProcess[] = [];
  /** Output nobody reads goes to a log file in the trial's folder: an unread pipe fills up and blocks its writer. */
  const spawn = (node: string, command: string, args: readonly string[], read = false) => {
    const out = read ? 'pipe' : openSync(path.join(dir, `${node}-${path.basename(command)}-${children.length}.log`), 'w');
    // From the project's root: `--import tsx` is resolved from the working directory.
    const child = net.spawn(node, command, args, { stdio: ['pipe', out, typeof out === 'number' ? out : 'ignore'], cwd: ROOT });
    if (typeof out === 'number') closeSync(out);
    children.push(child);
    return child;
  };
  const agent = (node: string, ...args: string[]) => spawn(node, process.execPath, ['--import', 'tsx', AGENT, ...args], true);
  const at = (node: string) => `${net.address(node)}:${REDIS_PORT}`;
  try {
    // The servers, each in its own namespace.
    for (const node of ['m', 'r1', 'r2']) {
      const fence = options.minReplicasMaxLagSeconds ? ['--min-replicas-to-write', '1', '--min-replicas-max-lag', String(options.minReplicasMaxLagSeconds)] : [];
      const replica = node === 'm' ? [] : ['--replicaof', net.address('m'), String(REDIS_PORT)];
      mkdirSync(path.join(dir, node));
      spawn(node, 'redis-server', ['--bind', net.address(node), '--port', String(REDIS_PORT), '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', path.join(dir, node), ...fence, ...replica]);
    }
    const roles = new RoleTimeline(agent('obs', 'roles', at('m'), at('r1'), at('r2')));
    await waitFor(() => roles.current(at('m')) === 'master' && roles.current(at('r1')) === 'slave' && roles.current(at('r2')) === 'slave', { timeoutMs: 15_000, what: 'the servers up' });
    await replicationFlowing(net, net.address('m'));

    // The system, in its own namespace, heard through redis-cli PSUBSCRIBE as a user would.
    const settings = { quorum: 2, downAfterMs: options.downAfterMs, failoverTimeoutMs: options.failoverTimeoutMs, parallelSyncs: 1 };
    if (system === 'sentinel') {
      // On the namespace's address too: sentinels reach each other at the address they announce.
      for (const port of SENTINEL_PORTS) spawn('sys', 'redis-sentinel', [writeSentinelConfig(dir, port, [net.address('sys'), '127.0.0.1'], { host: net.address('m'), port: REDIS_PORT }, settings)]);
    } else {
      const config = path.join(dir, 'config.json');
      const master = { name: 'mymaster', host: net.address('m'), port: REDIS_PORT, ...settings, ...(options.managedFencing && { fencing: true }), ...(options.witnesses && { witnesses: true }) };
      writeFileSync(config, JSON.stringify({ probes: 3, masters: [master] }));
      spawn('sys', process.execPath, [BIN, 'local', '--config', config, '--port', String(SENTINEL_PORTS[0]), '--no-timestamps']);
    }
    const events = new EventLog();
    await waitFor(
      async () => {
        const probe = await net.exec('sys', 'redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORTS[0]), 'SENTINEL', 'REPLICAS', 'mymaster'], { timeoutMs: 1000 });
        return probe.code === 0 && (probe.stdout.match(/^name$/gm) ?? []).length >= 2;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${system} to know both replicas` },
    );
    if (system === 'sentinel') await sentinelsKnowEachOther(net);
    events.listen(spawn('sys', 'redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORTS[0]), '--csv', 'PSUBSCRIBE', '*'], true));

    const writer = new WriterAgent(agent('w', 'writer', net.address('m'), String(REDIS_PORT)));
    await waitFor(() => writer.acked.length >= 500, { timeoutMs: 10_000, what: 'the writer to get going' });

    // The observer sees both sides, as an outside eye on the servers' roles would.
    const cut = () => ((options.scenario ?? 'master-side') === 'master-side' ? net.cut(['m', 'w'], ['r1', 'r2', 'sys']) : net.cut(['m'], ['sys']));
    await cut();
    const cutAt = Date.now();
    // The partition's length (and the flapping's rhythm) is the scenario itself, not a wait for something to happen.
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    if (options.flapMs === undefined) await pause(options.partitionMs);
    else {
      while (Date.now() - cutAt + 2 * options.flapMs <= options.partitionMs) {
        await pause(options.flapMs);
        await net.heal();
        await pause(options.flapMs);
        await cut();
      }
      await pause(Math.max(0, options.partitionMs - (Date.now() - cutAt)));
    }
    await net.heal();
    const healedAt = Date.now();

    // A failover under way at the heal is seen to its end (a replica ahead of the promoted one
    // needs a full resync, which Redis starts only after repl-diskless-sync-delay, 5 s).
    await waitFor(() => !events.failoverUnderWay(), { timeoutMs: options.failoverTimeoutMs + 10_000, intervalMs: 20, what: 'the failover under way to end' });
    // A user's writer follows the announcement once it can hear it again.
    const switched = events.last('+switch-master');
    if (switched) writer.follow(switched.host, switched.port);
    const demotedAt = switched
      ? await waitFor(() => (roles.current(at('m')) === 'slave' ? Date.now() : null), { timeoutMs: 30_000, intervalMs: 10, what: 'the old master demoted' }).catch(() => null)
      : null;
    const finalMaster = switched ? `${switched.host}:${switched.port}` : at('m');
    await waitFor(() => writer.acked.length > 0 && roles.current(finalMaster) === 'master', { timeoutMs: 10_000, what: 'the final master' });
    const acked = await writer.stop();
    const lost = await missingOn(net, finalMaster, acked);
    return {
      system,
      variant: system === 'sentinel' ? 'sentinel' : options.managedFencing ? 'redis-failover-fenced' : 'redis-failover',
      partitionMs: healedAt - cutAt,
      ackedWrites: acked.length,
      lostWrites: lost.count,
      lostWindowMs: lost.count === 0 ? 0 : writer.ackedAt(lost.last) - writer.ackedAt(lost.first),
      twoMastersMs: roles.twoMastersMs(cutAt, Date.now()),
      failovers: events.count('+switch-master'),
      falseVerdicts: events.verdictsAboutOtherThan(at('m')),
      demotedAfterHealMs: demotedAt === null ? null : Math.max(0, demotedAt - healedAt),
    };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await net.dispose();
    // REDIS_FAILOVER_BENCH_KEEP=1 keeps the trial's folder (configs and every process's log) for a look afterwards.
    if (process.env.REDIS_FAILOVER_BENCH_KEEP === '1') process.stderr.write(`# partition trial kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', onLine);
}

/** Every server's role as the observer saw it change, with when. */
class RoleTimeline {
  private readonly changes: Array<{ readonly at: number; readonly address: string; readonly role: string }> = [];

  constructor(agent: ChildProcess) {
    lines(agent, (line) => {
      const [word, address, role] = line.split(' ');
      if (word === 'role' && address && role) this.changes.push({ at: Date.now(), address, role });
    });
  }

  current(address: string): string | null {
    for (let i = this.changes.length - 1; i >= 0; i--) if (this.changes[i]!.address === address) return this.changes[i]!.role;
    return null;
  }

  /** Time between `from` and `to` during which at least two servers reported role:master. */
  twoMastersMs(from: number, to: number): number {
    const roles = new Map<string, string>();
    let total = 0;
    let since: number | null = null;
    for (const change of this.changes) {
      roles.set(change.address, change.role);
      const two = [...roles.values()].filter((r) => r === 'master').length >= 2;
      if (two && since === null) since = change.at;
      if (!two && since !== null) {
        total += Math.max(0, Math.min(change.at, to) - Math.max(since, from));
        since = null;
      }
    }
    if (since !== null) total += Math.max(0, to - Math.max(since, from));
    return total;
  }
}

/** The events a PSUBSCRIBE '*' prints (redis-cli --csv): `"pmessage","*","+switch-master","mymaster h p h p"`. */
class EventLog {
  private readonly events: Array<{ readonly type: string; readonly message: string }> = [];

  listen(subscriber: ChildProcess): void {
    lines(subscriber, (line) => {
      const fields = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
      if (fields[0] === 'pmessage' && fields[2] && fields[3] !== undefined) this.events.push({ type: fields[2], message: fields[3] });
    });
  }

  count(type: string): number {
    return this.events.filter((e) => e.type === type).length;
  }

  /** An epoch tried (`+try-failover`) that has neither switched nor aborted yet. */
  failoverUnderWay(): boolean {
    const ended = this.events.filter((e) => e.type === '+switch-master' || e.type.startsWith('-failover-abort')).length;
    return this.count('+try-failover') > ended;
  }

  /** `+sdown`/`+odown` about any server but `address` (host:port), as published. */
  verdictsAboutOtherThan(address: string): string[] {
    return this.events
      .filter((e) => e.type === '+sdown' || e.type === '+odown')
      .filter((e) => {
        // `master <name> <ip> <port> …` or `slave <ip:port> <ip> <port> @ …`: the instance is fields 2 and 3.
        const [, , host, port] = e.message.split(' ');
        return `${host}:${port}` !== address;
      })
      .map((e) => `${e.type} ${e.message}`);
  }

  /** The new master of the last +switch-master. */
  last(type: '+switch-master'): { host: string; port: number } | null {
    const event = this.events.filter((e) => e.type === type).at(-1);
    if (!event) return null;
    const [, , , host, port] = event.message.split(' ');
    return { host: host!, port: Number(port) };
  }
}

class WriterAgent {
  readonly acked: number[] = [];
  private readonly at = new Map<number, number>();
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    lines(child, (line) => {
      if (!line.startsWith('ack ')) return;
      const n = Number(line.slice(4));
      this.acked.push(n);
      this.at.set(n, Date.now());
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** When write `n` was acknowledged (as its line arrived). */
  ackedAt(n: number): number {
    return this.at.get(n) ?? Number.NaN;
  }

  follow(host: string, port: number): void {
    this.child.stdin!.write(`follow ${host} ${port}\n`);
  }

  /** Ends the writer (stdin closed) and answers every acknowledged write. */
  async stop(): Promise<number[]> {
    this.child.stdin!.end();
    await this.exited;
    return this.acked;
  }
}

/** A write acknowledged by both replicas: replication streams from here (see bench/trial.ts). */
async function replicationFlowing(net: Network, master: string): Promise<void> {
  await waitFor(
    async () => {
      const set = await net.exec('obs', 'redis-cli', ['-h', master, '-p', String(REDIS_PORT), 'SET', 'bench:ready', '1'], { timeoutMs: 2000 });
      const wait = await net.exec('obs', 'redis-cli', ['-h', master, '-p', String(REDIS_PORT), 'WAIT', '2', '1000'], { timeoutMs: 3000 });
      return set.code === 0 && wait.stdout.trim() === '2';
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'both replicas to acknowledge a write' },
  );
}

/** Sentinels find each other through hello messages every 2 s: a failover before that has no majority. */
async function sentinelsKnowEachOther(net: Network): Promise<void> {
  await waitFor(
    async () => {
      const all = await Promise.all(
        SENTINEL_PORTS.map((port) => net.exec('sys', 'redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'SENTINEL', 'SENTINELS', 'mymaster'], { timeoutMs: 1000 })),
      );
      return all.every((r) => r.code === 0 && (r.stdout.match(/^name$/gm) ?? []).length >= SENTINEL_PORTS.length - 1);
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'the sentinels to know each other' },
  );
}

async function missingOn(net: Network, address: string, acked: readonly number[]): Promise<{ count: number; first: number; last: number }> {
  const [host, port] = address.split(':') as [string, string];
  const result = await net.exec('obs', process.execPath, ['--import', 'tsx', AGENT, 'missing', host, port], { input: acked.join('\n') + '\n', timeoutMs: 30_000, cwd: ROOT });
  const found = /missing (\d+) (\S+) (\S+)/.exec(result.stdout);
  if (!found) throw new Error(`counting lost writes on ${address} failed: ${result.stderr.trim().split('\n').at(-1) ?? 'no output'}`);
  return { count: Number(found[1]), first: Number(found[2]), last: Number(found[3]) };
}
