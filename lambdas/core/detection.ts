/**
 * Sentinel's failure detection as pure functions: one voter's subjective opinion (SDOWN)
 * of one instance, and the objective verdict (ODOWN) from every voter's opinion.
 * The probe loop feeds these with PING and INFO results and the table's votes.
 */

/** How often a voter PINGs each instance. Sentinel uses min(down-after, 1000 ms); a tenth of down-after (≤ 100 ms) declares SDOWN closer to down-after. */
export function pingPeriodMs(downAfterMs: number): number {
  return Math.max(10, Math.min(100, Math.floor(downAfterMs / 10)));
}

/** Sentinel's INFO period during normal operation. */
export const INFO_PERIOD_MS = 10_000;

/** A vote is counted only this long after it was written, unless refreshed (Sentinel: about 5 s). */
export const VOTE_VALIDITY_MS = 5_000;

/** What one voter has seen of one instance. */
export interface InstanceWatch {
  /** Last acceptable PING reply (PONG, -LOADING, -MASTERDOWN); the watch's start before any. */
  readonly lastAcceptableReplyAt: number;
  /** Role the last INFO reported, and since when it has reported it. */
  readonly reportedRole: 'master' | 'slave' | 'unknown';
  readonly roleSince: number;
  /** Since when this voter holds the instance SDOWN, or null. */
  readonly sdownSince: number | null;
}

export function newWatch(now: number): InstanceWatch {
  return { lastAcceptableReplyAt: now, reportedRole: 'unknown', roleSince: now, sdownSince: null };
}

export function onPingReply(watch: InstanceWatch, acceptable: boolean, now: number): InstanceWatch {
  return acceptable ? { ...watch, lastAcceptableReplyAt: now } : watch;
}

export function onInfoRole(watch: InstanceWatch, role: InstanceWatch['reportedRole'], now: number): InstanceWatch {
  return role === watch.reportedRole ? watch : { ...watch, reportedRole: role, roleSince: now };
}

export interface SdownRules {
  readonly downAfterMs: number;
  /** True for the master of record: a master reporting role:slave for too long is down too. */
  readonly expectMaster: boolean;
  /** @default INFO_PERIOD_MS */
  readonly infoPeriodMs?: number;
}

export type SdownReason = 'no-reply' | 'reports-slave';

export interface SdownVerdict {
  readonly watch: InstanceWatch;
  /** The opinion changed now: publish it. */
  readonly event: '+sdown' | '-sdown' | null;
  readonly reason: SdownReason | null;
}

/**
 * SDOWN when no acceptable reply came for longer than down-after, or when the master of
 * record has reported role:slave for longer than down-after + 2 × the INFO period.
 */
export function evaluateSdown(watch: InstanceWatch, now: number, rules: SdownRules): SdownVerdict {
  const infoPeriod = rules.infoPeriodMs ?? INFO_PERIOD_MS;
  let reason: SdownReason | null = null;
  if (now - watch.lastAcceptableReplyAt > rules.downAfterMs) reason = 'no-reply';
  else if (rules.expectMaster && watch.reportedRole === 'slave' && now - watch.roleSince > rules.downAfterMs + 2 * infoPeriod) reason = 'reports-slave';

  if (reason && watch.sdownSince === null) return { watch: { ...watch, sdownSince: now }, event: '+sdown', reason };
  if (!reason && watch.sdownSince !== null) return { watch: { ...watch, sdownSince: null }, event: '-sdown', reason: null };
  return { watch, event: null, reason };
}

/** One voter's opinion of a master as the table stores it. */
export interface VoteView {
  readonly voter: string;
  readonly sdownSince: number | null;
  readonly expiresAt: number;
}

/** Votes that count now: holding SDOWN and not expired. */
export function freshSdownVotes(votes: readonly VoteView[], now: number): VoteView[] {
  return votes.filter((vote) => vote.sdownSince !== null && vote.expiresAt >= now);
}

export interface OdownVerdict {
  readonly odown: boolean;
  readonly votes: number;
  readonly quorum: number;
  /** Publish `+odown` / `-odown` when the verdict changed. */
  readonly event: '+odown' | '-odown' | null;
}

/** ODOWN: at least `quorum` voters hold the master SDOWN at the same time. */
export function evaluateOdown(votes: readonly VoteView[], quorum: number, now: number, wasOdown: boolean): OdownVerdict {
  const count = freshSdownVotes(votes, now).length;
  const odown = count >= quorum;
  const event = odown === wasOdown ? null : odown ? '+odown' : '-odown';
  return { odown, votes: count, quorum, event };
}

/**
 * Since when the master is down in the eyes of the voters that count: the earliest fresh
 * SDOWN. The replica selection's link-down rule is measured from here.
 */
export function masterDownSince(votes: readonly VoteView[], now: number): number | null {
  const since = freshSdownVotes(votes, now).map((vote) => vote.sdownSince as number);
  return since.length > 0 ? Math.min(...since) : null;
}
