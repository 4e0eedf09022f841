/**
 * The table: what Sentinel keeps in its config file (current master, epoch, known replicas)
 * plus what Sentinels tell each other (votes) and the failover lease.
 * Pure types: adapters (DynamoDB, dynalite) implement `FailoverStore`.
 */
import type { Address, MasterRef } from './types.ts';
import type { VoterSession, WatchSnapshot } from './voter-session.ts';

/** A replica remembered for a master, refreshed from INFO. */
export interface KnownReplica extends Address {
  runId: string | null;
  priority: number;
  offset: number;
  lastSeenAt: number;
}

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
  if (failover !== null && promoted !== null && promoted.epoch === failover.epoch && promoted.confirmedAt !== null) return { host: promoted.host, port: promoted.port };
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

export type StartRefusal = 'master-moved' | 'epoch-moved' | 'in-progress' | 'blocked';

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
}

export interface FailoverStore {
  /** Creates the master's record from the config when absent (conditional put); returns the stored record either way. A record that exists is never overwritten: the table, not the config, knows the current master after a failover. */
  ensureMaster(master: MasterRef): Promise<MasterRecord>;
  getMaster(name: string): Promise<MasterRecord | null>;
  /** Writes (overwrites) one voter's opinion. */
  putVote(vote: Vote): Promise<void>;
  /** Every vote for the master, expired ones included (expiry is the caller's check: no TTL in code paths). */
  listVotes(master: string): Promise<Vote[]>;
  /** Adds or refreshes replicas (one item each). */
  upsertReplicas(master: string, replicas: readonly KnownReplica[]): Promise<void>;
  /** Adds a replica unless it is already known (conditional put); true when this call added it, so `+slave` is said once. */
  addReplica(master: string, replica: KnownReplica): Promise<boolean>;
  listReplicas(master: string): Promise<KnownReplica[]>;
  removeReplica(master: string, replica: Address): Promise<void>;
  /**
   * Leadership: one failover per master per epoch. A single conditional UpdateItem that succeeds only if
   * the stored epoch still equals `expectedEpoch`, no unexpired lease is held (failover absent/null or leaseExpiresAt < now),
   * and lastFailoverStartedAt is absent or older than now - blockMs (Sentinel's 2 × failover-timeout rule).
   * On success: epoch = expectedEpoch + 1, failover = { epoch, execution: `${name}-${epoch}`, leader, startedAt: now, leaseExpiresAt: now + leaseMs }, lastFailoverStartedAt = now.
   * On ConditionalCheckFailed: read the record and say why (epoch-moved / in-progress / blocked).
   */
  tryStartFailover(name: string, args: StartFailoverArgs): Promise<StartFailoverResult>;
  /** The workflow's last step: conditional on failover.epoch === epoch (or already switched to newMaster at that epoch: idempotent, returns the record): master address := newMaster, failover := null, switchedAt := now. Throws a clear error if another epoch holds the record. */
  completeFailover(name: string, args: { epoch: number; newMaster: Address; now: number }): Promise<MasterRecord>;
  /**
   * SendSlaveofNoOne: remember the promoted replica; WaitPromotion again with `confirmedAt` once it
   * answers as a master. Conditional on failover.epoch === epoch. Idempotent.
   */
  recordPromotion(name: string, args: { epoch: number; promoted: Address; runId: string | null; confirmedAt?: number }): Promise<MasterRecord>;
  /** An aborted failover: conditional on failover.epoch === epoch; failover := null (lastFailoverStartedAt stays, so the 2× timeout block applies). Idempotent. */
  abortFailover(name: string, args: { epoch: number }): Promise<MasterRecord>;
}

/**
 * Who holds each voter, and what it handed over (core/voter-session.ts). On AWS one voter is a
 * series of Lambda invocations; the local runtime's voters run without a break and need none.
 */
export interface VoterSessionStore {
  /** The session; with `snapshot: false` without the snapshot (a poll for the generation costs one read unit whatever the snapshot's size). */
  getSession(voter: string, options?: { readonly snapshot?: boolean }): Promise<VoterSession | null>;
  /**
   * Takes the voter over: generation + 1, this holder and deadline, conditional on the generation
   * still being `expectedGeneration` (null: no session yet). Null when another start won.
   */
  claimSession(voter: string, args: { expectedGeneration: number | null; holder: string; now: number; deadline: number }): Promise<VoterSession | null>;
  /**
   * Stores `generation`'s snapshot unless a later generation has stored one (a holder that lost the
   * voter cannot overwrite its successor's); `release` also says it stopped acting. True when stored.
   */
  saveSnapshot(voter: string, args: { generation: number; snapshot: readonly WatchSnapshot[]; now: number; release: boolean }): Promise<boolean>;
}

/**
 * Why `tryStartFailover`'s condition refuses, read from the record (null: it would be allowed).
 * The same rules as the conditional write, so an adapter can explain a ConditionalCheckFailed.
 */
export function startFailoverRefusal(
  record: MasterRecord,
  args: Pick<StartFailoverArgs, 'expectedMaster' | 'expectedEpoch' | 'now' | 'blockMs' | 'takeOverEpoch'>,
): StartRefusal | null {
  if (record.host !== args.expectedMaster.host || record.port !== args.expectedMaster.port) return 'master-moved';
  if (record.epoch !== args.expectedEpoch) return 'epoch-moved';
  const lease = record.failover;
  const leaseFree = lease === null || lease.leaseExpiresAt < args.now || (args.takeOverEpoch !== undefined && lease.epoch === args.takeOverEpoch);
  if (!leaseFree) return 'in-progress';
  if (record.lastFailoverStartedAt !== null && !(record.lastFailoverStartedAt < args.now - args.blockMs)) return 'blocked';
  return null;
}
