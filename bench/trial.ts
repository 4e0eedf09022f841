/**
 * One benchmark trial: a fresh topology, one failover system, a writer, a fault of the master
 * (`kill -9`, or SIGSTOP: hung with its sockets open), and the same outside observer measuring
 * whichever system it is. The system itself
 * comes in as a start function (TrialSystem), so every system is timed by this one observer.
 */
import type { EventPublisher } from '../lambdas/core/interfaces.ts';
import { sameAddress } from '../lambdas/core/address.ts';
import { parseConfig } from '../lambdas/core/config.ts';
import type { SentinelEvent } from '../lambdas/core/events.ts';
import type { Address } from '../lambdas/core/types.ts';
import { waitFor } from '../lambdas/core/wait.ts';
import { LocalOrchestrator } from '../local/orchestrator.ts';
import { RedisServers, type RedisServer } from '../local/redis-servers.ts';
import { Sentinels } from './sentinels.ts';
import { fixedPorts, startTopology, type Topology } from './topology.ts';
import { ackedPresent, Writer } from '../local/writer.ts';
import { BENCH_WRITER } from './writer.ts';

/** `redis-failover` is the local runtime (JSON consumers know it by that name); the aws ones are the simulated deployment, by chain. */
export type System = 'sentinel' | 'redis-failover' | 'redis-failover-aws-warm' | 'redis-failover-aws-cold';

/** The deployed failover chain: kept warm by the warm-up schedules, or cold as after a quiet week without them. */
export type Chain = 'warm' | 'cold';

/** What happens to the master: `kill -9`, or SIGSTOP (it hangs, the kernel still accepts connections; woken at the end). */
export type Fault = 'kill' | 'stop';

export interface TrialOptions {
  /** @default 'kill' */
  readonly fault?: Fault;
  readonly replicas: number;
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  readonly parallelSyncs: number;
  /** A free loopback port each call. */
  readonly port: () => Promise<number>;
}

/** One step function invocation of a failover, as the simulated Lambda service recorded it. */
export interface StepInvocation {
  /** The function's logical id without CDK's hash (`FailoverSwitchMasterFunction`). */
  readonly step: string;
  /** When Step Functions invoked it, ms since +elected-leader: the gaps between steps are the workflow's own. */
  readonly atMs: number;
  readonly cold: boolean;
  /** Spawn to handler loaded, for a cold invocation; null when warm. */
  readonly coldStartMs: number | null;
  /** The handler's run, start to end (Lambda's Duration, without the cold start). */
  readonly durationMs: number;
  readonly outcome: string;
}

/** What the simulated deployment tells of its own failover, beyond the outside observer's figures. */
export interface DeployedAccount {
  readonly chain: Chain;
  /** +elected-leader → +switch-master, both as EventBridge received them. */
  readonly electedToSwitchMs: number;
  readonly steps: readonly StepInvocation[];
}

export interface TrialResult {
  readonly system: System;
  readonly fault: Fault;
  /** From the fault (the names say kill for every fault). */
  readonly killToSwitchMs: number;
  /** Until GET-MASTER-ADDR-BY-NAME names the new master; null where the system has no such answer here. */
  readonly killToAddressMs: number | null;
  /** stop only: SIGCONT of the old master → it replicates from the new one; null when not within 30 s. */
  readonly wokenDemotedMs: number | null;
  readonly killToReplicasMs: number;
  readonly killToFirstWriteMs: number;
  readonly ackedWrites: number;
  readonly lostWrites: number;
  /** aws trials only. */
  readonly chain?: Chain;
  readonly electedToSwitchMs?: number;
  readonly steps?: readonly StepInvocation[];
}

export interface Announcement {
  readonly at: number;
  readonly address: Address;
}

/** Every system answers the same question: when did it announce which new master. */
export interface Running {
  readonly announced: Promise<Announcement>;
  /** The master as the system answers clients (GET-MASTER-ADDR-BY-NAME). */
  masterAddress?(): Promise<Address | null>;
  /** Where Sentinel-aware clients ask (a sentinel, or our Sentinel port); none for the simulated deployment. */
  readonly sentinelPort?: number;
  /** Asked once the observer is done, before stop (the simulated deployment's own record). */
  account?(): Promise<DeployedAccount>;
  stop(): Promise<void>;
}

/** A failover system a trial can run: how to start it over a topology that is up and in sync. */
export interface TrialSystem {
  readonly system: System;
  /** The master's and each replica's port, when the system was made for given ones (a synthesized stack names its master); else free ones from the options. */
  readonly topologyPorts?: readonly number[];
  start(topology: Topology, options: TrialOptions): Promise<Running>;
}

const QUORUM = 2;
const VOTERS = 3;

export const SENTINEL: TrialSystem = { system: 'sentinel', start: (topology, options) => startSentinels(topology.master, options) };
export const LOCAL: TrialSystem = { system: 'redis-failover', start: (topology, options) => startOurs(topology.master, options) };

export async function runTrial(system: 'sentinel' | 'redis-failover' | TrialSystem, options: TrialOptions): Promise<TrialResult> {
  const target = system === 'sentinel' ? SENTINEL : system === 'redis-failover' ? LOCAL : system;
  const servers = new RedisServers();
  let running: Running | undefined;
  let writer: Writer | undefined;
  try {
    const { master, replicas } = await startTopology(servers, options.replicas, target.topologyPorts ? fixedPorts(target.topologyPorts) : options.port);
    await replicationFlowing(master, replicas.length);
    running = await target.start({ master, replicas }, options);

    writer = new Writer(master.address, BENCH_WRITER).start();
    await waitFor(() => writer!.acked.length >= 500, { timeoutMs: 10_000, what: 'the writer to get going' });

    const fault = options.fault ?? 'kill';
    const killedAt = Date.now();
    if (fault === 'kill') await master.kill();
    else master.pause();
    const addressAt = firstAnswerOtherThan(running, master.address);
    const announced = await running.announced;
    writer.follow(announced.address);

    const others = replicas.filter((r) => !sameAddress(r.address, announced.address));
    await waitFor(async () => (await Promise.all(others.map((r) => r.followsWithLinkUp(announced.address)))).every(Boolean), {
      timeoutMs: 60_000,
      intervalMs: 10,
      what: 'every replica to follow the new master',
    });
    const replicasAt = Date.now();
    const firstWriteAt = await waitFor(() => writer!.firstOnNewMasterAt, { timeoutMs: 30_000, intervalMs: 5, what: 'a write on the new master' });
    await writer.stop();

    const promoted = replicas.find((r) => sameAddress(r.address, announced.address));
    if (!promoted) throw new Error(`${target.system} announced ${announced.address.host}:${announced.address.port}, which is not one of the replicas`);
    const lost = writer.acked.length - (await ackedPresent(promoted, writer));
    const answeredAt = await addressAt;
    const wokenDemotedMs = fault === 'stop' ? await demotedOnWaking(master, announced.address) : null;
    const account = await running.account?.();
    return {
      system: target.system,
      fault,
      killToSwitchMs: announced.at - killedAt,
      killToAddressMs: answeredAt === null ? null : answeredAt - killedAt,
      wokenDemotedMs,
      killToReplicasMs: replicasAt - killedAt,
      killToFirstWriteMs: firstWriteAt - killedAt,
      ackedWrites: writer.acked.length,
      lostWrites: lost,
      ...account,
    };
  } finally {
    await writer?.stop();
    await running?.stop();
    await servers.stopAll();
  }
}

async function startSentinels(master: RedisServer, options: TrialOptions): Promise<Running> {
  const ports = await Promise.all(Array.from({ length: VOTERS }, () => options.port()));
  const sentinels = await Sentinels.start(master.address, options.replicas, ports, { quorum: QUORUM, ...settings(options) });
  const { subscriber, announced } = await sentinels.switchMaster();
  return {
    announced,
    masterAddress: () => sentinels.masterAddress(),
    sentinelPort: ports[0]!,
    stop: async () => {
      subscriber.disconnect();
      await sentinels.stop();
    },
  };
}

async function startOurs(master: RedisServer, options: TrialOptions): Promise<Running> {
  let announce!: (value: Announcement) => void;
  const announced = new Promise<Announcement>((resolve) => (announce = resolve));
  const publisher: EventPublisher = {
    async publish(events: readonly SentinelEvent[]) {
      const switched = events.find((e) => e.type === '+switch-master');
      if (switched?.detail.newMaster) announce({ at: Date.now(), address: switched.detail.newMaster });
    },
  };
  const config = parseConfig({ probes: VOTERS, masters: [{ name: 'mymaster', ...master.address, quorum: QUORUM, ...settings(options) }] });
  const sentinelPort = await options.port();
  const orchestrator = await LocalOrchestrator.start({ config, publisher, sentinelPort });
  await waitFor(async () => (await orchestrator.store.listReplicas('mymaster')).length >= options.replicas, {
    timeoutMs: 10_000,
    what: 'the voters to discover every replica',
  });
  return { announced, masterAddress: () => orchestrator.masterAddress('mymaster'), sentinelPort, stop: () => orchestrator.stop() };
}

function settings(options: TrialOptions) {
  return { downAfterMs: options.downAfterMs, failoverTimeoutMs: options.failoverTimeoutMs, parallelSyncs: options.parallelSyncs };
}

/**
 * Redis 7.0 reports a replica online (and its link up) right after a diskless sync, but streams
 * writes to it only after its first REPLCONF ACK, up to a second later: a kill in that second
 * loses writes no failover could keep. Start measuring once a write is acknowledged by all.
 */
export async function replicationFlowing(master: RedisServer, replicas: number): Promise<void> {
  const client = master.client();
  try {
    await client.set('bench:ready', '1');
    const acked = Number(await client.call('WAIT', String(replicas), '10000'));
    if (acked < replicas) throw new Error(`only ${acked} of ${replicas} replicas acknowledged a write within 10 s`);
  } finally {
    client.disconnect();
  }
}

/** When the system first answers clients another master than `failed` (polled every 5 ms for 60 s); null when it has no such answer. */
async function firstAnswerOtherThan(running: Running, failed: Address): Promise<number | null> {
  if (!running.masterAddress) return null;
  const ask = running.masterAddress.bind(running);
  return waitFor(
    async () => {
      const address = await ask().catch(() => null);
      return address !== null && !sameAddress(address, failed) ? Date.now() : null;
    },
    { timeoutMs: 60_000, intervalMs: 5, what: 'the system to answer the new master' },
  );
}

/** SIGCONT of a hung old master, then how long until it replicates from the new one (null: not within 30 s). */
async function demotedOnWaking(old: RedisServer, newMaster: Address): Promise<number | null> {
  const wokenAt = Date.now();
  old.resume();
  try {
    return await waitFor(async () => ((await old.followsWithLinkUp(newMaster)) ? Date.now() - wokenAt : null), {
      timeoutMs: 30_000,
      intervalMs: 10,
      what: 'the woken old master to follow the new one',
    });
  } catch {
    return null;
  }
}
