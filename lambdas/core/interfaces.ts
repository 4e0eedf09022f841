/**
 * What the rules (lambdas/runtime/, the workflow steps) need from the world, in one place: the
 * adapters in lambdas/adapters/ implement these, and the composition roots (lambdas/runtime/aws/
 * for Lambda, local/ for one machine) choose which. Declarations only: no I/O, no rule.
 */
import type { RecordSet } from './endpoints.ts';
import type { ExecutionRecord } from './history.ts';
import type { SentinelEvent } from './events.ts';
import type { KnownReplica, MaintenancePause, MasterRecord, StartFailoverArgs, StartFailoverResult, Vote } from './store.ts';
import type { Address, FailoverInput, MasterRef } from './types.ts';
import type { VoterSession, WatchSnapshot } from './voter-session.ts';

/** The time the rules read: `Date.now` in every runtime; a test may step it. */
export interface Clock {
  readonly now: () => number;
}

/**
 * The table (core/store.ts has its records): what Sentinel keeps in its config file plus what
 * Sentinels tell each other (votes) and the failover lease. DynamoDB on AWS, dynalite locally.
 */
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
   * On ConditionalCheckFailed: read the record and say why (epoch-moved / in-progress / blocked; core/store.ts startFailoverRefusal).
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
  /** Pauses automatic failover of the master (overwrites a pause in force); the record must exist. */
  setPause(name: string, pause: MaintenancePause): Promise<MasterRecord>;
  /**
   * Ends the pause, only the one that began at `since` when given (a voter ending an expired pause
   * must not end a newer one); `cleared` is the pause this call ended, null when there was none.
   */
  clearPause(name: string, args?: { since?: number }): Promise<{ cleared: MaintenancePause | null; record: MasterRecord }>;
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

/** Where events go: EventBridge on AWS, stdout and a JSON lines file locally, memory in tests. */
export interface EventPublisher {
  /** Publishes the events in order; rejects when any could not be published. */
  publish(events: readonly SentinelEvent[]): Promise<void>;
}

/** What became of an execution: still running, ended (in any way), or never started. */
export type ExecutionStatus = 'running' | 'finished' | 'unknown';

/**
 * Starts the failover workflow. The execution is named `<master>-<epoch>`, so starting the
 * same failover twice is a no-op: the second guard of "one failover per master per epoch".
 */
export interface FailoverStarter {
  start(input: FailoverInput): Promise<void>;
  /** Lets a voter tell a live failover from a dead leader's lease. */
  status(execution: string): Promise<ExecutionStatus>;
}

/** AUTH for every server of one master group (Sentinel's `auth-user` / `auth-pass`). */
export interface RedisCredentials {
  readonly username?: string;
  readonly password?: string;
}

/**
 * How the rules ask for a link to one server (lambdas/adapters/redis.ts opens it): the group's
 * credentials, TLS and timeouts, which lambdas/runtime/credentials.ts works out per master group.
 */
export interface RedisLinkOptions {
  readonly credentials?: RedisCredentials;
  /**
   * Asked when the server refuses `credentials`: a password rotated at run time is read again
   * (Secrets Manager, the config file) rather than the refusal taken for a dead server.
   */
  readonly renewCredentials?: () => Promise<RedisCredentials | undefined>;
  /** @default 1000 */
  readonly connectTimeoutMs?: number;
  /** @default 1000 */
  readonly commandTimeoutMs?: number;
  readonly tls?: boolean;
}

export type Dimensions = Readonly<Record<string, string>>;

/** What the voters and steps record; one implementation per runtime (EMF on AWS, none locally). */
export interface Metrics {
  /** Adds `n` to the metric `name` under each set of dimensions. */
  count(name: string, sets: readonly Dimensions[], n?: number): void;
  /** Records one value of `name` in milliseconds under each set of dimensions. */
  measure(name: string, sets: readonly Dimensions[], ms: number): void;
  /** Writes what was recorded since the last flush. */
  flush(): void;
}

/** The records of one zone, however they are stored (Route 53 on AWS, memory in tests). */
export interface EndpointRecords {
  /** Every record set under `name` (any type): more than one only if someone added one by hand. */
  read(name: string): Promise<readonly RecordSet[]>;
  /** Makes `record` the only record set under its name, replacing any of another type. Idempotent. */
  write(record: RecordSet): Promise<void>;
}

/** The failover workflow's executions, as their histories tell them (Step Functions, or the local runner). */
export interface FailoverExecutions {
  /** The master's latest executions, newest first, at most `limit`. */
  list(master: string, limit: number): Promise<ExecutionRecord[]>;
}
