/**
 * Taking a failover's lease and starting its workflow: the same for a voter that saw ODOWN
 * and for a person asking for a manual failover (SENTINEL FAILOVER). One conditional write
 * decides, so two candidates never both start a failover of the same master.
 */
import type { Clock, EventPublisher, ExecutionStatus, FailoverStarter, FailoverStore, RedisLinkOptions } from '../core/interfaces.ts';
import { sameAddress } from '../core/address.ts';
import { settingsOf, type MasterConfig } from '../core/config.ts';
import { masterEvent, newEpochEvent, type SentinelEvent } from '../core/events.ts';
import type { FailoverLease, MasterRecord, StartFailoverResult } from '../core/store.ts';
import type { Address, FailoverInput, MasterRef, PromotedAddress } from '../core/types.ts';
import { executionName } from '../core/workflow-state.ts';
import { messageOf } from '../core/errors.ts';

/** A leader has this long after its election to start the workflow before others call it dead. */
const START_GRACE_MS = 5000;

/**
 * The lease covers the longest failover the workflow can run (promotion sent, promotion seen
 * and reconfiguration are each bounded by failover-timeout), so a live failover is never
 * overtaken; a dead leader is detected sooner through the execution's status.
 */
export function leaseMs(master: { failoverTimeoutMs: number; waitStartSeconds: number }): number {
  return 3 * master.failoverTimeoutMs + master.waitStartSeconds * 1000 + 30_000;
}

/** A held lease whose workflow is gone: never started well after the election, or ended without releasing it. */
export function leaseAbandoned(lease: FailoverLease, status: ExecutionStatus, now: number): boolean {
  return status === 'finished' || (status === 'unknown' && now - lease.startedAt > START_GRACE_MS);
}

export interface Candidacy {
  readonly master: MasterConfig;
  /** The record as the candidate last read it: the lease is won only if it has not moved since. */
  readonly record: MasterRecord;
  /** Voter id, or `manual` for a person's request. */
  readonly leader: string;
  readonly now: number;
  /** Sentinel's 2 × failover-timeout between attempts; 0 for a manual request, which Sentinel does not block. */
  readonly blockMs: number;
  /** Take over this epoch's lease, held by a failover known to be gone. */
  readonly takeOverEpoch?: number;
  readonly replicas: readonly Address[];
  readonly masterDownSince: number | null;
  /** The master's last replication offset as master, for the lag gate; null: unknown. */
  readonly masterOffset?: number | null;
  readonly manual: boolean;
  /** Refused while a maintenance pause is in force (a voter's candidacy; a person's request is not). */
  readonly respectPause?: boolean;
  /** Fault injection between the election and the start (SIMULATE-FAILURE crash-after-election). */
  readonly afterElection?: (epoch: number) => void;
  /**
   * Work between the election and the workflow's start (a coordinated handover), returning the
   * replica that took over: the workflow resumes from it. Should it throw, the epoch aborts
   * (`-failover-abort-slave-timeout`, lease released) and the error propagates.
   */
  readonly beforeStart?: (epoch: number) => Promise<PromotedAddress>;
}

/** What anything that leads failovers (a voter, a manual request) works with. */
export interface LeaderDeps extends Clock {
  readonly store: FailoverStore;
  readonly publisher: EventPublisher;
  readonly starter: FailoverStarter;
  readonly linkOptions: (masterName: string) => Promise<RedisLinkOptions>;
}

export interface LeadershipDeps {
  readonly store: FailoverStore;
  readonly starter: FailoverStarter;
  /** Publishes as the candidate (a voter tags its events with its id). */
  readonly publish: (events: readonly SentinelEvent[]) => Promise<void>;
}

export type Leadership = (StartFailoverResult & { won: false }) | { won: true; record: MasterRecord; input: FailoverInput };

/** Runs for the lease; the winner says +new-epoch, +try-failover, +elected-leader and starts the workflow. */
export async function leadFailover(candidacy: Candidacy, deps: LeadershipDeps): Promise<Leadership> {
  const { master, record, now } = candidacy;
  const result = await deps.store.tryStartFailover(master.name, {
    // Only the master the candidate judged: a record that moved on (a switch not read yet) is left alone.
    expectedMaster: record,
    expectedEpoch: record.epoch,
    leader: candidacy.leader,
    now,
    leaseMs: leaseMs(master),
    blockMs: candidacy.blockMs,
    takeOverEpoch: candidacy.takeOverEpoch,
    respectPause: candidacy.respectPause === true,
  });
  if (!result.won) return result;
  const epoch = result.record.epoch;
  const ref: MasterRef = { name: master.name, host: record.host, port: record.port };
  const context = { epoch, execution: executionName(master.name, epoch) };
  await deps.publish([newEpochEvent(ref, epoch, context), masterEvent('+try-failover', ref, context), masterEvent('+elected-leader', ref, context)]);
  candidacy.afterElection?.(epoch);
  const handedOver = candidacy.beforeStart ? await abortOnError(candidacy.beforeStart, epoch, ref, deps) : null;
  const promoted = result.record.promoted;
  const input: FailoverInput = {
    master: ref,
    epoch,
    settings: settingsOf(master),
    replicas: candidacy.replicas.filter((r) => !sameAddress(r, record)),
    startedAt: now,
    masterDownSince: candidacy.masterDownSince,
    ...(candidacy.masterOffset != null && { masterOffset: candidacy.masterOffset }),
    manual: candidacy.manual,
    // A failover that died after REPLICAOF NO ONE: resume with that replica, never promote a second one.
    resumePromoted: handedOver ?? (promoted && promoted.epoch < epoch ? { host: promoted.host, port: promoted.port, runId: promoted.runId } : null),
  };
  await deps.starter.start(input);
  return { won: true, record: result.record, input };
}

async function abortOnError(
  work: (epoch: number) => Promise<PromotedAddress>,
  epoch: number,
  master: MasterRef,
  deps: LeadershipDeps,
): Promise<PromotedAddress> {
  try {
    return await work(epoch);
  } catch (error) {
    await deps.store.abortFailover(master.name, { epoch });
    const reason = messageOf(error);
    await deps.publish([masterEvent('-failover-abort-slave-timeout', master, { epoch, execution: executionName(master.name, epoch), reason })]);
    throw error;
  }
}
