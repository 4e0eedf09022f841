/**
 * The table's records: what Sentinel keeps in its config file (current master, epoch, known
 * replicas) plus what Sentinels tell each other (votes) and the failover lease, and the rules read
 * from them. The store itself is `FailoverStore` (core/interfaces.ts).
 */
import type { Address } from './types.ts';

/**
 * A replica remembered for a master: its address only. A failover judges replicas by their INFO
 * at the time (core/selection.ts); the table only says which servers it may promote.
 */
export type KnownReplica = Address;

/** The failover in progress: who leads it, for which epoch, until when. */
export interface FailoverLease {
  epoch: number;
  /** Step Functions execution name, `<master>-<epoch>`. */
  execution: string;
  leader: string;
  startedAt: number;
  leaseExpiresAt: number;
}

export interface MasterRecord {
  name: string;
  /** The current master of record (after a failover: the promoted replica, not the config's address). */
  host: string;
  port: number;
  epoch: number;
  failover: FailoverLease | null;
  /** Start of the last attempt; blocks the next one for 2 × failover-timeout. */
  lastFailoverStartedAt: number | null;
  switchedAt: number | null;
  /**
   * The replica the last unfinished failover sent REPLICAOF NO ONE to. If that failover dies
   * after promoting it, the next epoch resumes with it instead of promoting a second master.
   */
  promoted: PromotedReplica | null;
  /** A maintenance pause: while in force no voter starts a failover (a person's request still may). */
  pause: MaintenancePause | null;
}

/** `redis-failover pause`: always with an end, so a forgotten pause cannot disable failover for good. */
export interface MaintenancePause {
  since: number;
  until: number;
  reason: string;
  /** Who paused (`manual`, or the name the request gave). */
  by: string;
}

/** The pause that holds automatic failovers back now, or null (none, or it has run out). */
export function pauseInForce(record: Pick<MasterRecord, 'pause'>, now: number): MaintenancePause | null {
  return record.pause !== null && record.pause.until >= now ? record.pause : null;
}

export interface PromotedReplica extends Address {
  epoch: number;
  /** Its run_id at selection: the same address after a restart is a different server (maybe empty). */
  runId: string | null;
  /**
   * When WaitPromotion saw it answer as a master (`+promoted-slave`): from then on it is the
   * address clients are given, as Sentinel answers the promoted replica while it reconfigures.
   */
  confirmedAt: number | null;
}

/**
 * The master clients are given (GET-MASTER-ADDR-BY-NAME): the promoted replica once the running
 * failover confirmed it a master, as Sentinel answers it from +promoted-slave on; the master of
 * record otherwise.
 */
export function masterForClients(record: MasterRecord): Address {
  const { failover, promoted } = record;
  if (failover !== null && promoted !== null && promoted.epoch === failover.epoch && promoted.confirmedAt !== null)
    return { host: promoted.host, port: promoted.port };
  return { host: record.host, port: record.port };
}

/** One voter's opinion of a master. Expiry is checked in code, never by TTL. */
export interface Vote {
  voter: string;
  master: string;
  /** `host:port` of the master of record the opinion is about (null in votes written before they said so). */
  about: string | null;
  /** Since when this voter holds SDOWN, or null when it sees the master up. */
  sdownSince: number | null;
  observedAt: number;
  expiresAt: number;
}

export type StartRefusal = 'master-moved' | 'epoch-moved' | 'in-progress' | 'blocked' | 'paused';

export type StartFailoverResult = { won: true; record: MasterRecord } | { won: false; reason: StartRefusal; record: MasterRecord };

export interface StartFailoverArgs {
  /** The master the caller judged down: a record that has moved to another master is not failed over. */
  expectedMaster: Address;
  expectedEpoch: number;
  leader: string;
  now: number;
  leaseMs: number;
  blockMs: number;
  /**
   * Take over the lease of this epoch, held by a failover known to be gone (never started,
   * or ended without releasing it). Only that exact lease is taken over.
   */
  takeOverEpoch?: number;
  /** A voter's start: refused while a maintenance pause is in force. A person's request is not. */
  respectPause?: boolean;
}

/**
 * Why `tryStartFailover`'s condition refuses, read from the record (null: it would be allowed).
 * The same rules as the conditional write, so an adapter can explain a ConditionalCheckFailed.
 */
export function startFailoverRefusal(
  record: MasterRecord,
  args: Pick<StartFailoverArgs, 'expectedMaster' | 'expectedEpoch' | 'now' | 'blockMs' | 'takeOverEpoch' | 'respectPause'>,
): StartRefusal | null {
  if (record.host !== args.expectedMaster.host || record.port !== args.expectedMaster.port) return 'master-moved';
  if (record.epoch !== args.expectedEpoch) return 'epoch-moved';
  const lease = record.failover;
  const leaseFree = lease === null || lease.leaseExpiresAt < args.now || (args.takeOverEpoch !== undefined && lease.epoch === args.takeOverEpoch);
  if (!leaseFree) return 'in-progress';
  if (record.lastFailoverStartedAt !== null && !(record.lastFailoverStartedAt < args.now - args.blockMs)) return 'blocked';
  if (args.respectPause && pauseInForce(record, args.now)) return 'paused';
  return null;
}
