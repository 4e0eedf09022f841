/**
 * SENTINEL FAILOVER <name> against the orchestrator: a person's request goes through the same
 * lease as the voters' failovers, so it is refused while one runs (INPROG), and the voters
 * know about it (the table names the failover and, afterwards, the new master).
 */
import { withRedis, type RedisLinkOptions } from '../adapters/redis.ts';
import { addressKey, distinctAddresses } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import { selectReplica } from '../core/selection.ts';
import type { MasterRecord } from '../core/store.ts';
import type { Address } from '../core/types.ts';
import { executionName } from '../core/workflow-state.ts';
import { leadFailover, leaseAbandoned, type LeaderDeps } from './leadership.ts';
import { observeReplica } from './observe.ts';
import { rememberReplicas } from './seed.ts';

/** Sentinel's error codes for SENTINEL FAILOVER, plus UNKNOWN for a name not in the config. */
export type RefusalCode = 'INPROG' | 'NOGOODSLAVE' | 'UNKNOWN';

/** The request was refused; nothing was changed. The message starts with the Sentinel code. */
export class FailoverRefused extends Error {
  override readonly name = 'FailoverRefused';
  constructor(
    readonly code: RefusalCode,
    /** The message without the code. */
    readonly detail: string,
  ) {
    super(`${code} ${detail}`);
  }
}

export interface FailoverRequestDeps extends LeaderDeps {
  readonly masters: readonly MasterConfig[];
  /** Who asks, in the lease and the events (`manual` by default). */
  readonly requester?: string;
}

export interface FailoverStarted {
  readonly master: string;
  readonly epoch: number;
  /** The Step Functions execution name, `<master>-<epoch>`. */
  readonly execution: string;
  /** The master being failed over. */
  readonly from: Address;
  /** The replica that would be promoted now (SelectSlave decides again), or the one a dead failover promoted. */
  readonly candidate: Address;
}

export async function requestFailover(name: string, deps: FailoverRequestDeps): Promise<FailoverStarted> {
  const master = deps.masters.find((m) => m.name === name);
  if (!master) throw new FailoverRefused('UNKNOWN', `No such master with that name: ${JSON.stringify(name)} (known: ${deps.masters.map((m) => m.name).join(', ')})`);
  const leader = deps.requester ?? 'manual';
  const record = (await deps.store.getMaster(name)) ?? (await deps.store.ensureMaster(master));
  const takeOverEpoch = await refuseIfInProgress(record, deps);
  const linkOptions = await deps.linkOptions(name);
  const { replicas, masterReachable } = await replicasOf(record, linkOptions, deps, leader);
  const now = deps.now();
  const masterDownSince = masterReachable ? null : now;
  const candidate = record.promoted ?? (await goodReplica(master, replicas, masterDownSince, linkOptions, now));

  const result = await leadFailover(
    { master, record, leader, now, blockMs: 0, takeOverEpoch, replicas, masterDownSince, manual: true },
    { store: deps.store, starter: deps.starter, publish: (events) => deps.publisher.publish(events.map((e) => ({ ...e, detail: { ...e.detail, voter: leader } }))) },
  );
  if (!result.won) {
    // Someone else moved first (a voter's failover, another request): say what runs now.
    const lease = result.record.failover;
    const what = lease ? `${lease.execution} (led by ${lease.leader})` : `the record moved on (${result.reason}, epoch ${result.record.epoch}); ask again`;
    throw new FailoverRefused('INPROG', `Failover already in progress: ${what}`);
  }
  return {
    master: name,
    epoch: result.record.epoch,
    execution: executionName(name, result.record.epoch),
    from: { host: record.host, port: record.port },
    candidate: { host: candidate.host, port: candidate.port },
  };
}

/** INPROG while a live failover holds the lease; the epoch of an abandoned lease, to take it over. */
async function refuseIfInProgress(record: MasterRecord, deps: FailoverRequestDeps): Promise<number | undefined> {
  const lease = record.failover;
  const now = deps.now();
  if (!lease || lease.leaseExpiresAt < now) return undefined;
  const status = await deps.starter.status(lease.execution);
  if (leaseAbandoned(lease, status, now)) return lease.epoch;
  const age = ((now - lease.startedAt) / 1000).toFixed(1);
  throw new FailoverRefused('INPROG', `Failover already in progress: ${lease.execution} (led by ${lease.leader}, started ${age} s ago)`);
}

/**
 * The table's replicas plus those the master reports now. New ones are stored first (`+slave`):
 * SelectSlave accepts only replicas the table knows.
 */
async function replicasOf(record: MasterRecord, linkOptions: RedisLinkOptions, deps: FailoverRequestDeps, leader: string): Promise<{ replicas: Address[]; masterReachable: boolean }> {
  const reported = await withRedis(record, linkOptions, (link) => link.info()).catch(() => null);
  const masterReachable = reported?.role === 'master';
  if (masterReachable) await rememberReplicas(record, reported.connectedReplicas, { ...deps, voterId: leader });
  const known = await deps.store.listReplicas(record.name);
  return { replicas: distinctAddresses(known, [record]), masterReachable };
}

/** Sentinel answers NOGOODSLAVE before bumping the epoch: no lease, no block, no event. */
async function goodReplica(master: MasterConfig, replicas: readonly Address[], masterDownSince: number | null, linkOptions: RedisLinkOptions, now: number): Promise<Address> {
  const observations = await Promise.all(replicas.map((replica) => observeReplica(replica, linkOptions)));
  const { chosen, rejected } = selectReplica(observations, { now, masterDownSince, downAfterMs: master.downAfterMs });
  if (chosen) return chosen.address;
  const why = rejected.map((r) => `${addressKey(r.address)} ${r.detail}`).join('; ') || 'no replicas known';
  throw new FailoverRefused('NOGOODSLAVE', `No suitable replica to promote: ${why}`);
}
