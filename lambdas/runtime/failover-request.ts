/**
 * SENTINEL FAILOVER <name> against the orchestrator: a person's request goes through the same
 * lease as the voters' failovers, so it is refused while one runs (INPROG), and the voters
 * know about it (the table names the failover and, afterwards, the new master).
 */
import { withRedis } from '../adapters/redis.ts';
import type { RedisLinkOptions } from '../core/interfaces.ts';
import { addressKey, distinctAddresses } from '../core/address.ts';
import { settingsOf, type MasterConfig } from '../core/config.ts';
import { rejectionsText, selectionContext, selectReplica, type SelectionContext } from '../core/selection.ts';
import { pauseInForce, type MasterRecord } from '../core/store.ts';
import type { Address, PromotedAddress } from '../core/types.ts';
import { executionName } from '../core/workflow-state.ts';
import { handOver } from './handover.ts';
import { leadFailover, leaseAbandoned, type LeaderDeps } from './leadership.ts';
import { observeReplica } from './observe.ts';
import { masterRecord, rememberReplicas } from './seed.ts';
import { ConfigError, FailoverRefused, RedisAuthError } from '../core/errors.ts';

export interface FailoverRequestDeps extends LeaderDeps {
  readonly masters: readonly MasterConfig[];
  /** Who asks, in the lease and the events (`manual` by default). */
  readonly requester?: string;
}

export interface FailoverRequestOptions {
  /**
   * Valkey's `SENTINEL FAILOVER <name> COORDINATED`: the live master hands over to the chosen
   * replica with Redis' FAILOVER (writes paused until it caught up, zero acknowledged writes
   * lost) before the workflow runs. The request returns once the two have swapped.
   */
  readonly coordinated?: boolean;
  /** How long the master may pause writes; past it the handover aborts and nothing changed. */
  readonly coordinationTimeoutMs?: number;
  /** Called with the chosen replica just before the handover (fault injection in tests). */
  readonly beforeHandover?: (target: Address) => Promise<void> | void;
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
  /** True when the candidate already took over through a coordinated handover. */
  readonly handedOver: boolean;
  /** The maintenance pause in force: a person's failover runs anyway, and is told so. */
  readonly paused?: { readonly until: string; readonly reason: string };
}

export async function requestFailover(name: string, deps: FailoverRequestDeps, options: FailoverRequestOptions = {}): Promise<FailoverStarted> {
  const master = deps.masters.find((m) => m.name === name);
  if (!master)
    throw new FailoverRefused('UNKNOWN', `No such master with that name: ${JSON.stringify(name)} (known: ${deps.masters.map((m) => m.name).join(', ')})`);
  const leader = deps.requester ?? 'manual';
  const record = await masterRecord(master, deps);
  const takeOverEpoch = await refuseIfInProgress(record, deps);
  const linkOptions = await deps.linkOptions(name);
  const { replicas, masterReachable, masterOffset } = await replicasOf(record, linkOptions, deps, leader);
  const now = deps.now();
  const masterDownSince = masterReachable ? null : now;
  const coordinated = options.coordinated === true;
  if (coordinated && !masterReachable) {
    throw new FailoverRefused(
      'UNREACHABLE',
      `COORDINATED needs a reachable master: ${addressKey(record)} does not answer as a master; ask without COORDINATED`,
    );
  }
  // A replica a dead failover already promoted is resumed, never a second one; a handover starts afresh.
  const resumable = coordinated ? null : await stillPromoted(record.promoted, linkOptions);
  const candidate =
    resumable ??
    (await goodReplica(replicas, selectionContext({ master: record, masterDownSince, settings: settingsOf(master), masterOffset }, now), linkOptions));
  // Recorded before FAILOVER, as SendSlaveofNoOne records before REPLICAOF NO ONE: should this
  // request die right after the swap, the next epoch resumes from that replica.
  const beforeStart = coordinated
    ? async (epoch: number): Promise<PromotedAddress> => {
        await deps.store.recordPromotion(name, { epoch, promoted: candidate, runId: candidate.runId ?? null });
        await options.beforeHandover?.(candidate);
        return handOver({ master: { name, host: record.host, port: record.port }, target: candidate, linkOptions, timeoutMs: options.coordinationTimeoutMs });
      }
    : undefined;

  const result = await leadFailover(
    { master, record, leader, now, blockMs: 0, takeOverEpoch, replicas, masterDownSince, masterOffset, manual: true, beforeStart },
    {
      store: deps.store,
      starter: deps.starter,
      publish: (events) => deps.publisher.publish(events.map((e) => ({ ...e, detail: { ...e.detail, voter: leader } }))),
    },
  );
  if (!result.won) {
    // Someone else moved first (a voter's failover, another request): say what runs now.
    const lease = result.record.failover;
    const what = lease ? `${lease.execution} (led by ${lease.leader})` : `the record moved on (${result.reason}, epoch ${result.record.epoch}); ask again`;
    throw new FailoverRefused('INPROG', `Failover already in progress: ${what}`);
  }
  const pause = pauseInForce(record, now);
  return {
    ...(pause && { paused: { until: new Date(pause.until).toISOString(), reason: pause.reason } }),
    master: name,
    epoch: result.record.epoch,
    execution: executionName(name, result.record.epoch),
    from: { host: record.host, port: record.port },
    candidate: { host: candidate.host, port: candidate.port },
    handedOver: coordinated,
  };
}

/**
 * The replica an earlier epoch promoted, while it still acts as the master with the run_id
 * recorded: the execution will resume from it (SelectSlave checks again). A stale record (the
 * replica restarted, or was re-pointed) is no candidate, and the NOGOODSLAVE check applies.
 */
async function stillPromoted(promoted: MasterRecord['promoted'], linkOptions: RedisLinkOptions): Promise<PromotedAddress | null> {
  if (!promoted) return null;
  const { info } = await observeReplica(promoted, linkOptions);
  if (info?.role !== 'master' || (promoted.runId !== null && info.runId !== promoted.runId)) return null;
  return { host: promoted.host, port: promoted.port, runId: promoted.runId };
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
async function replicasOf(
  record: MasterRecord,
  linkOptions: RedisLinkOptions,
  deps: FailoverRequestDeps,
  leader: string,
): Promise<{ replicas: Address[]; masterReachable: boolean; masterOffset: number | null }> {
  const reported = await withRedis(record, linkOptions, (link) => link.info()).catch((error: unknown) => {
    // A refused AUTH is the operator's to fix, not a dead master to fail over without.
    if (error instanceof RedisAuthError)
      throw new ConfigError(`${record.name}: ${error.message}; check the auth of master ${record.name} in the config`, { cause: error });
    return null;
  });
  const masterReachable = reported?.role === 'master';
  if (masterReachable) await rememberReplicas(record, reported.connectedReplicas, { ...deps, voterId: leader });
  const known = await deps.store.listReplicas(record.name);
  return { replicas: distinctAddresses(known, [record]), masterReachable, masterOffset: masterReachable ? reported.replOffset : null };
}

/** Sentinel answers NOGOODSLAVE before bumping the epoch: no lease, no block, no event. */
async function goodReplica(replicas: readonly Address[], ctx: SelectionContext, linkOptions: RedisLinkOptions): Promise<PromotedAddress> {
  const observations = await Promise.all(replicas.map((replica) => observeReplica(replica, linkOptions)));
  const { chosen, rejected } = selectReplica(observations, ctx);
  if (chosen) return { ...chosen.address, runId: chosen.info?.runId ?? null };
  throw new FailoverRefused('NOGOODSLAVE', `No suitable replica to promote: ${rejectionsText(rejected)}`);
}
