/**
 * One voter, many Lambda invocations: the rules of the handover from one invocation to the next.
 * Each invocation claims the voter (a new generation in the table); the one it replaces sees the
 * claim, stops acting, and leaves its snapshot; the new one carries on from it. So one voter is
 * watched without a gap and never acts twice at once. Pure: the table calls are the caller's.
 */
import type { InstanceWatch } from './detection.ts';
import type { Address } from './types.ts';

/** What of one server outlives an invocation (its link and its last INFO do not). */
export interface InstanceSnapshot extends Address {
  readonly watch: InstanceWatch;
  readonly wrongMasterSince: number | null;
  readonly lastRepairAt: number;
  readonly scriptKillSent: boolean;
}

/** One voter's watch over one master group, as handed over. */
export interface WatchSnapshot {
  readonly master: string;
  /** The master of record these opinions are about: none is carried over to another one. */
  readonly record: Address | null;
  readonly instances: readonly InstanceSnapshot[];
  readonly voting: { readonly votedSdownSince: number | null; readonly lastVoteAt: number; readonly odown: boolean };
  /** `<epoch>@<host>:<port>` of the last attempt, and until when attempts are blocked. */
  readonly election: { readonly lastAttempt: string | null; readonly blockedUntil: number };
  /** Configuration problems already said, so they are not said again every invocation. */
  readonly notices: { readonly fenceWarned: readonly string[]; readonly reported: ReadonlyArray<readonly [string, string]> };
}

/** The table's view of a voter: who holds it, and the last handover. */
export interface VoterSession {
  readonly voter: string;
  /** One more for each invocation that took the voter over. */
  readonly generation: number;
  /** The holding invocation (its Lambda request id). */
  readonly holder: string;
  readonly claimedAt: number;
  /** When the holder's invocation ends at the latest (Lambda stops it there): after that it is gone for sure. */
  readonly deadline: number;
  /** The latest generation that stopped acting and left its snapshot. */
  readonly released: number | null;
  readonly snapshot: readonly WatchSnapshot[] | null;
  readonly snapshotGeneration: number | null;
  readonly snapshotAt: number | null;
}

/**
 * What changes a snapshot in a way worth saving at once (an opinion, a verdict, an attempt), not
 * the clocks that move with every reply: two snapshots alike in this need no second write.
 */
export function significantOf(snapshots: readonly WatchSnapshot[]): string {
  return JSON.stringify(
    snapshots.map((s) => [
      s.master,
      s.record,
      s.instances.map((i) => [i.host, i.port, i.watch.sdownSince, i.watch.runId, i.watch.reportedRole]),
      s.voting.odown,
      s.voting.votedSdownSince,
      s.election,
    ]),
  );
}

/** When an invocation starts looking for its successor (after `fromMs` of holding) and how often. */
export function successorPolling(intervalMs: number): { readonly fromMs: number; readonly everyMs: number } {
  // Each look is a table read; the new invocation waits for this one's handover meanwhile (it polls too).
  const lead = Math.min(1000, intervalMs / 10);
  return { fromMs: intervalMs - lead, everyMs: Math.max(50, Math.min(250, intervalMs / 20)) };
}

/** Table calls are bounded to about this long (1 s per attempt, 2 attempts: lambdas/runtime/env.ts). */
const TABLE_CALL_MS = 2000;

/**
 * A start that replaces nothing: the holder is alive, took the voter less than half an interval
 * ago and has not handed it over (the scheduler delivers at least once). It returns at once.
 */
export function isDuplicateStart(session: VoterSession, now: number, intervalMs: number): boolean {
  return session.released !== session.generation && now < session.deadline && now - session.claimedAt < intervalMs / 2;
}

/** The holder `session` describes has handed over (or stopped for good). */
export function handedOver(session: VoterSession, generation: number): boolean {
  return session.released !== null && session.released >= generation;
}

/**
 * Until when a new invocation waits for the one it replaces to hand over. A live holder sees the
 * claim within a poll or two of starting to look, then writes its snapshot: two table calls, each
 * at worst a slow one. One that has passed its Lambda deadline is gone, and one that has not
 * handed over by then is taken to be.
 */
export function handoverDeadline(previous: VoterSession, now: number, intervalMs: number): number {
  if (now >= previous.deadline) return now;
  const { fromMs, everyMs } = successorPolling(intervalMs);
  const looking = Math.max(now, previous.claimedAt + fromMs);
  return Math.min(previous.deadline, looking + 2 * everyMs + 2 * TABLE_CALL_MS);
}
