/**
 * One partition trial: a master and its replicas, the failover system and a writer, each in its
 * own network namespace (bench/network.ts). The failover system is three sentinels, one per
 * "zone" namespace; or this project's local runtime, three voters in one process; or the
 * deployed stack on the simulation (sim/), its services in one namespace and each probe
 * function's containers in a zone namespace of their own, as the probes run in three
 * availability zones. Part of the network is cut off for a while, then it heals. What counts is
 * what a user loses: acknowledged writes missing on the master at the end, time with two servers
 * taking writes as masters, failovers, and how long the old master keeps taking writes after the heal.
 *
 * The controller reaches nothing inside the namespaces: every observation comes over the pipes
 * of processes running there (bench/agent.ts, redis-cli).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from '../lambdas/core/wait.ts';
import type { DeployConfig } from '../lib/config-file.ts';
import { AppProcess } from './app-process.ts';
import { Network } from './network.ts';
import { variantName, type PartitionScenario, type PartitionSystem } from './partition-variants.ts';
import { writeSentinelConfig } from './sentinels.ts';

export interface PartitionOptions {
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  /** How long the cut lasts. */
  readonly partitionMs: number;
  /** @default 2 */
  readonly replicas?: number;
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
  /** See PartitionScenario. @default 'master-side' */
  readonly scenario?: PartitionScenario;
  /**
   * A flapping link: for the whole partition, cut for `flapMs`, healed for `flapMs`, again and again.
   * @default - cut for the whole partition
   */
  readonly flapMs?: number;
  /**
   * redis-failover-aws only: seconds between starts of each probe. @default 60, as deployed
   */
  readonly probeIntervalSeconds?: number;
}

export interface PartitionResult {
  readonly system: PartitionSystem;
  /** The benchmark's column: the system with the rules it ran with (partition-variants.ts). */
  readonly variant: string;
  readonly scenario: PartitionScenario;
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
  /** `+sdown`/`+odown` of the master, as published (ours: every voter's; Sentinel: the one sentinel heard). */
  readonly masterVerdicts: readonly string[];
  /** Heal → the old master reports role:slave; null when not within 30 s, or when there was no failover. */
  readonly demotedAfterHealMs: number | null;
}

const REDIS_PORT = 6379;
const SENTINEL_PORT = 26379;
/** The three zones: a sentinel each, or a probe function each (ours as deployed). */
const ZONES = ['z1', 'z2', 'z3'] as const;
/** The zone whose sentinel the trial listens to: never the one the minority scenario cuts off. */
const HEARD_ZONE = 'z2';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/redis-failover.mjs', import.meta.url));

export async function runPartitionTrial(system: PartitionSystem, options: PartitionOptions): Promise<PartitionResult> {
  const scenario = options.scenario ?? 'master-side';
  if (scenario === 'minority-voter' && system === 'redis-failover') {
    throw new Error(
      'the minority-voter scenario needs voters on separate networks: the local runtime runs its three voters in one process (use redis-failover-aws)',
    );
  }
  const replicaNodes = Array.from({ length: options.replicas ?? 2 }, (_, i) => `r${i + 1}`);
  const net = await Network.create(['m', ...replicaNodes, 'sys', ...ZONES, 'w', 'obs']);
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-partition-'));
  const children: ChildProcess[] = [];
  let deployment: ChildProcess | undefined;
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
    for (const node of ['m', ...replicaNodes]) {
      const fence = options.minReplicasMaxLagSeconds
        ? ['--min-replicas-to-write', '1', '--min-replicas-max-lag', String(options.minReplicasMaxLagSeconds)]
        : [];
      const replica = node === 'm' ? [] : ['--replicaof', net.address('m'), String(REDIS_PORT)];
      mkdirSync(path.join(dir, node));
      spawn(node, 'redis-server', [
        '--bind',
        net.address(node),
        '--port',
        String(REDIS_PORT),
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--dir',
        path.join(dir, node),
        ...fence,
        ...replica,
      ]);
    }
    const roles = new RoleTimeline(agent('obs', 'roles', ...['m', ...replicaNodes].map(at)));
    await waitFor(() => roles.current(at('m')) === 'master' && replicaNodes.every((r) => roles.current(at(r)) === 'slave'), {
      timeoutMs: 15_000,
      what: 'the servers up',
    });
    await replicationFlowing(net, net.address('m'), replicaNodes.length);

    // The system, heard as a user would: redis-cli PSUBSCRIBE on a Sentinel port, or the bus.
    const events = new EventLog();
    const settings = { quorum: 2, downAfterMs: options.downAfterMs, failoverTimeoutMs: options.failoverTimeoutMs, parallelSyncs: 1 };
    const master = {
      name: 'mymaster',
      host: net.address('m'),
      port: REDIS_PORT,
      ...settings,
      ...(options.managedFencing && { fencing: true }),
      ...(options.witnesses && { witnesses: true }),
    };
    if (system === 'sentinel') {
      for (const zone of ZONES) {
        mkdirSync(path.join(dir, zone));
        // On the namespace's address too: sentinels reach each other at the address they announce.
        spawn(zone, 'redis-sentinel', [writeSentinelConfig(path.join(dir, zone), SENTINEL_PORT, [net.address(zone), '127.0.0.1'], master, settings)]);
      }
      await sentinelPortKnows(net, HEARD_ZONE, replicaNodes.length, system);
      await sentinelsKnowEachOther(net);
      events.listen(spawn(HEARD_ZONE, 'redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORT), '--csv', 'PSUBSCRIBE', '*'], true));
    } else if (system === 'redis-failover') {
      const config = path.join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ probes: 3, masters: [master] }));
      spawn('sys', process.execPath, [BIN, 'local', '--config', config, '--port', String(SENTINEL_PORT), '--no-timestamps']);
      await sentinelPortKnows(net, 'sys', replicaNodes.length, system);
      events.listen(spawn('sys', 'redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORT), '--csv', 'PSUBSCRIBE', '*'], true));
    } else {
      // Synthesized here (no network needed), run there: the services in `sys`, probe i in zone i.
      const assembly = await synthesizeForTrial(path.join(dir, 'cdk.out'), { probes: ZONES.length, masters: [master] }, options.probeIntervalSeconds ?? 60);
      deployment = agent('sys', 'deployed', assembly, net.address('sys'), String(replicaNodes.length), ...ZONES.map((zone) => net.namespace(zone)));
      events.listenToAgent(deployment);
      const running = deployment;
      await waitFor(() => events.ready || running.exitCode !== null, {
        timeoutMs: 120_000,
        intervalMs: 50,
        what: 'the simulated deployment to watch every replica',
      });
      if (!events.ready) throw new Error(`the simulated deployment ended before it was ready (exit ${running.exitCode})`);
    }

    const writer = new AppProcess(agent('w', 'writer', net.address('m'), String(REDIS_PORT)));
    await waitFor(() => writer.acks.length >= 500, { timeoutMs: 10_000, what: 'the writer to get going' });

    // The observer sees both sides, as an outside eye on the servers' roles would.
    const voters = system === 'redis-failover' ? ['sys'] : system === 'sentinel' ? [...ZONES] : ['sys', ...ZONES];
    const cut = () =>
      scenario === 'master-side'
        ? net.cut(['m', 'w'], [...replicaNodes, ...voters])
        : scenario === 'voters-only'
          ? net.cut(['m'], voters)
          : net.cut(['m'], [ZONES[0]]);
    await cut();
    const cutAt = Date.now();
    // The partition's length (and the flapping's rhythm) is the scenario itself, not a wait for something to happen.
    if (options.flapMs === undefined) await sleep(options.partitionMs);
    else {
      while (Date.now() - cutAt + 2 * options.flapMs <= options.partitionMs) {
        await sleep(options.flapMs);
        await net.heal();
        await sleep(options.flapMs);
        await cut();
      }
      await sleep(Math.max(0, options.partitionMs - (Date.now() - cutAt)));
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
      ? await waitFor(() => (roles.current(at('m')) === 'slave' ? Date.now() : null), {
          timeoutMs: 30_000,
          intervalMs: 10,
          what: 'the old master demoted',
        }).catch(() => null)
      : null;
    const finalMaster = switched ? `${switched.host}:${switched.port}` : at('m');
    await waitFor(() => writer.acks.length > 0 && roles.current(finalMaster) === 'master', { timeoutMs: 10_000, what: 'the final master' });
    // The writer ends on its own once stdin closes: no deadline to kill it by.
    await writer.stop(Number.POSITIVE_INFINITY);
    const acked = writer.acks.map((ack) => ack.n);
    const lost = await missingOn(net, finalMaster, acked);
    return {
      system,
      variant: variantName({ system, ...(options.managedFencing && { managedFencing: true }), ...(options.witnesses && { witnesses: true }) }),
      scenario,
      partitionMs: healedAt - cutAt,
      ackedWrites: acked.length,
      lostWrites: lost.count,
      lostWindowMs: lost.count === 0 ? 0 : writer.ackedAt(lost.last) - writer.ackedAt(lost.first),
      twoMastersMs: roles.twoMastersMs(cutAt, Date.now()),
      failovers: events.count('+switch-master'),
      falseVerdicts: events.verdicts((address) => address !== at('m')),
      masterVerdicts: events.verdicts((address) => address === at('m')),
      demotedAfterHealMs: demotedAt === null ? null : Math.max(0, demotedAt - healedAt),
    };
  } finally {
    // The deployment stops its own function processes when told (stdin closed); dispose kills whatever is left.
    if (deployment && deployment.exitCode === null) {
      const exited = new Promise((resolve) => deployment!.once('exit', resolve));
      deployment.stdin!.end();
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    }
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
  /** The deployment agent said it watches every replica. */
  ready = false;

  listen(subscriber: ChildProcess): void {
    lines(subscriber, (line) => {
      const fields = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
      if (fields[0] === 'pmessage' && fields[2] && fields[3] !== undefined) this.events.push({ type: fields[2], message: fields[3] });
    });
  }

  /** The bus of a simulated deployment, as bench/agent.ts prints it: `event <detail-type> <message>`, then `ready`. */
  listenToAgent(agent: ChildProcess): void {
    lines(agent, (line) => {
      if (line === 'ready') this.ready = true;
      const found = /^event (\S+) (.*)$/.exec(line);
      if (found) this.events.push({ type: found[1]!, message: found[2]! });
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

  /** `+sdown`/`+odown` about the servers (host:port) `about` picks, as published. */
  verdicts(about: (address: string) => boolean): string[] {
    return this.events
      .filter((e) => e.type === '+sdown' || e.type === '+odown')
      .filter((e) => {
        // `master <name> <ip> <port> …` or `slave <ip:port> <ip> <port> @ …`: the instance is fields 2 and 3.
        const [, , host, port] = e.message.split(' ');
        return about(`${host}:${port}`);
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

/** A write acknowledged by every replica: replication streams from here (see bench/trial.ts). */
async function replicationFlowing(net: Network, master: string, replicas: number): Promise<void> {
  await waitFor(
    async () => {
      const set = await net.exec('obs', 'redis-cli', ['-h', master, '-p', String(REDIS_PORT), 'SET', 'bench:ready', '1'], { timeoutMs: 2000 });
      const wait = await net.exec('obs', 'redis-cli', ['-h', master, '-p', String(REDIS_PORT), 'WAIT', String(replicas), '1000'], { timeoutMs: 3000 });
      return set.code === 0 && wait.stdout.trim() === String(replicas);
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'every replica to acknowledge a write' },
  );
}

/** The Sentinel port in `node`'s namespace lists every replica: the system watches the whole topology. */
async function sentinelPortKnows(net: Network, node: string, replicas: number, system: PartitionSystem): Promise<void> {
  await waitFor(
    async () => {
      const probe = await net.exec(node, 'redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORT), 'SENTINEL', 'REPLICAS', 'mymaster'], {
        timeoutMs: 1000,
      });
      return probe.code === 0 && (probe.stdout.match(/^name$/gm) ?? []).length >= replicas;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `${system} to know every replica` },
  );
}

/** Sentinels find each other through hello messages every 2 s: a failover before that has no majority. */
async function sentinelsKnowEachOther(net: Network): Promise<void> {
  await waitFor(
    async () => {
      const all = await Promise.all(
        ZONES.map((zone) =>
          net.exec(zone, 'redis-cli', ['-h', '127.0.0.1', '-p', String(SENTINEL_PORT), 'SENTINEL', 'SENTINELS', 'mymaster'], { timeoutMs: 1000 }),
        ),
      );
      return all.every((r) => r.code === 0 && (r.stdout.match(/^name$/gm) ?? []).length >= ZONES.length - 1);
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'the sentinels to know each other' },
  );
}

/** `cdk synth` of the deployable stack for the trial's topology, probes as often as asked. */
async function synthesizeForTrial(outdir: string, config: DeployConfig, probeIntervalSeconds: number): Promise<string> {
  const [{ Duration }, { synthesizeStack }] = await Promise.all([import('aws-cdk-lib'), import('../sim/synth.ts')]);
  return synthesizeStack({ config, outdir, failover: { probeInterval: Duration.seconds(probeIntervalSeconds) } });
}

async function missingOn(net: Network, address: string, acked: readonly number[]): Promise<{ count: number; first: number; last: number }> {
  const [host, port] = address.split(':') as [string, string];
  const result = await net.exec('obs', process.execPath, ['--import', 'tsx', AGENT, 'missing', host, port], {
    input: acked.join('\n') + '\n',
    timeoutMs: 30_000,
    cwd: ROOT,
  });
  const found = /missing (\d+) (\S+) (\S+)/.exec(result.stdout);
  if (!found) throw new Error(`counting lost writes on ${address} failed: ${result.stderr.trim().split('\n').at(-1) ?? 'no output'}`);
  return { count: Number(found[1]), first: Number(found[2]), last: Number(found[3]) };
}
