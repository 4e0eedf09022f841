import { followsMaster } from './info.ts';
import type { Address, ReplicationInfo } from './types.ts';

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

/**
 * A PING reply as Sentinel classifies it: all but `error` and `busy` (-BUSY: a script running
 * too long) count as "alive". `refused` is ours: the
 * server answered but refused our credentials or ACL. Sentinel counts that as down; we do not,
 * because a master we cannot authenticate to could not be demoted after a failover: a password
 * changed on the master before the config would fail over a healthy master into two for good.
 */
export type PingReply = 'error' | 'busy' | 'pong' | 'loading' | 'masterdown' | 'refused';

/** What one voter has seen of one instance. */
export interface InstanceWatch {
  /** Last acceptable PING reply (PONG, -LOADING, -MASTERDOWN, a refusal); the watch's start before any. */
  readonly lastAcceptableReplyAt: number;
  /**
   * When the oldest PING not yet answered acceptably went out (Sentinel's act_ping_time), or null.
   * SDOWN counts from here: a voter that stalls sends no PING, so its stall judges nobody down.
   */
  readonly pendingPingSince: number | null;
  /** The connection was refused or lost (not a timeout): no PING is waiting on it, SDOWN counts from the last reply. */
  readonly linkDown: boolean;
  /** The run_id INFO last reported: a new one means the server restarted. */
  readonly runId: string | null;
  /** Since when the master has been rebooting (a new run_id, no PONG yet), when master-reboot-down-after-period is set. */
  readonly rebootSince: number | null;
  /** Role the last INFO reported, and since when it has reported it. */
  readonly reportedRole: 'master' | 'slave' | 'unknown';
  readonly roleSince: number;
  /** Since when this voter holds the instance SDOWN, or null. */
  readonly sdownSince: number | null;
}

/** One server as one voter sees it now; nulls where that voter has not (yet) watched or read it. */
export interface InstanceView {
  readonly address: Address;
  readonly watch: InstanceWatch | null;
  readonly info: ReplicationInfo | null;
  /** When `info` was read (ms since the epoch), or null. */
  readonly infoAt: number | null;
  /** The voter's connection to it is down now (Sentinel's `disconnected`). */
  readonly disconnected: boolean;
}

/** A server no voter has watched yet: known only by its address (the table's word). */
export function unseenInstance(address: Address): InstanceView {
  return { address, watch: null, info: null, infoAt: null, disconnected: false };
}

export function newWatch(now: number): InstanceWatch {
  return {
    lastAcceptableReplyAt: now,
    pendingPingSince: null,
    linkDown: false,
    runId: null,
    rebootSince: null,
    reportedRole: 'unknown',
    roleSince: now,
    sdownSince: null,
  };
}

/** A PING went out: the oldest unanswered one is the one SDOWN is measured from. */
export function onPingSent(watch: InstanceWatch, now: number): InstanceWatch {
  return watch.pendingPingSince !== null ? watch : { ...watch, pendingPingSince: now };
}

/**
 * The PING got no reply: the connection refused or reset (`timedOut` false), or no answer in time
 * (true: hung, or packets dropped; the PING stays pending). A refused connection is a server that
 * is gone, judged from its last reply as Sentinel judges a disconnected link, until it answers
 * again (a timeout after that must not move the clock back).
 */
export function onPingFailed(watch: InstanceWatch, timedOut: boolean): InstanceWatch {
  return timedOut || watch.linkDown ? watch : { ...watch, linkDown: true };
}

/** A PONG also ends a reboot: the server has loaded its dataset. Any reply means the link is up. */
export function onPingReply(watch: InstanceWatch, reply: PingReply, now: number): InstanceWatch {
  if (reply === 'error' || reply === 'busy') return watch.linkDown ? { ...watch, linkDown: false } : watch;
  return { ...watch, lastAcceptableReplyAt: now, pendingPingSince: null, linkDown: false, rebootSince: reply === 'pong' ? null : watch.rebootSince };
}

/** How long this voter has gone without an acceptable reply, measured as Sentinel measures it. */
export function unansweredFor(watch: InstanceWatch, now: number): number {
  if (watch.linkDown) return now - watch.lastAcceptableReplyAt;
  return watch.pendingPingSince === null ? 0 : now - watch.pendingPingSince;
}

/** Sentinel's one rescue: an instance SDOWN because a script keeps it -BUSY gets one SCRIPT KILL (a script that wrote cannot be killed). */
export function shouldKillScript(watch: InstanceWatch, reply: PingReply, alreadySent: boolean): boolean {
  return reply === 'busy' && watch.sdownSince !== null && !alreadySent;
}

/**
 * INFO's run_id. A different one than before is a restart: `+reboot` (said for any instance), and
 * for the master, when `trackReboot`, the start of the period its -LOADING replies are accepted.
 */
export function onRunId(watch: InstanceWatch, runId: string | null, now: number, trackReboot: boolean): { watch: InstanceWatch; rebooted: boolean } {
  if (runId === null || runId === watch.runId) return { watch, rebooted: false };
  const rebooted = watch.runId !== null;
  return { watch: { ...watch, runId, rebootSince: rebooted && trackReboot ? now : watch.rebootSince }, rebooted };
}

export function onInfoRole(watch: InstanceWatch, role: InstanceWatch['reportedRole'], now: number): InstanceWatch {
  return role === watch.reportedRole ? watch : { ...watch, reportedRole: role, roleSince: now };
}

/**
 * What one voter knew of an instance, taken over after `gapMs` in which nobody watched it (one
 * probe invocation handing over to the next). A gap under half of down-after cannot make a live
 * server look down (its last reply is at most that much plus a ping period older than it would
 * have been), so the clock runs on: a server that died before the handover is SDOWN at down-after
 * after its last reply, wherever the boundary fell. After a longer gap nothing is known of it:
 * down-after, and the time a role has been reported, count again from now. An SDOWN opinion held
 * stays held until a reply ends it.
 */
export function resumeWatch(stored: InstanceWatch, gap: { readonly gapMs: number; readonly downAfterMs: number; readonly now: number }): InstanceWatch {
  // Snapshots written before PINGs were tracked lack the two fields: nothing pending, link up.
  const watch: InstanceWatch = { ...stored, pendingPingSince: stored.pendingPingSince ?? null, linkDown: stored.linkDown ?? false };
  if (gap.gapMs <= gap.downAfterMs / 2) return watch;
  return {
    ...watch,
    lastAcceptableReplyAt: Math.max(watch.lastAcceptableReplyAt, gap.now),
    pendingPingSince: null,
    linkDown: false,
    roleSince: Math.max(watch.roleSince, gap.now),
  };
}

export interface SdownRules {
  readonly downAfterMs: number;
  /** True for the master of record: a master reporting role:slave for too long is down too. */
  readonly expectMaster: boolean;
  /** @default INFO_PERIOD_MS */
  readonly infoPeriodMs?: number;
  /** master-reboot-down-after-period; 0 or absent: a rebooting master's -LOADING is acceptable for ever. */
  readonly masterRebootDownAfterMs?: number;
}

export type SdownReason = 'no-reply' | 'reports-slave' | 'reboot-loading';

export interface SdownVerdict {
  readonly watch: InstanceWatch;
  /** The opinion changed now: publish it. */
  readonly event: '+sdown' | '-sdown' | null;
  readonly reason: SdownReason | null;
}

/**
 * SDOWN when no acceptable reply came for longer than down-after (from the oldest unanswered PING,
 * or from the last reply once the connection is refused: {@link unansweredFor}), when the master of record
 * has reported role:slave for longer than down-after + 2 × the INFO period, or when it has been
 * rebooting (new run_id, -LOADING, no PONG) for longer than master-reboot-down-after-period.
 */
export function evaluateSdown(watch: InstanceWatch, now: number, rules: SdownRules): SdownVerdict {
  const infoPeriod = rules.infoPeriodMs ?? INFO_PERIOD_MS;
  let reason: SdownReason | null = null;
  if (unansweredFor(watch, now) > rules.downAfterMs) reason = 'no-reply';
  else if (rules.expectMaster && watch.reportedRole === 'slave' && now - watch.roleSince > rules.downAfterMs + 2 * infoPeriod) reason = 'reports-slave';
  else if (rules.expectMaster && rules.masterRebootDownAfterMs && watch.rebootSince !== null && now - watch.rebootSince > rules.masterRebootDownAfterMs) {
    reason = 'reboot-loading';
  }

  if (reason && watch.sdownSince === null) return { watch: { ...watch, sdownSince: now }, event: '+sdown', reason };
  if (!reason && watch.sdownSince !== null) return { watch: { ...watch, sdownSince: null }, event: '-sdown', reason: null };
  return { watch, event: null, reason };
}

/** One voter's opinion of a master as the table stores it. */
export interface VoteView {
  readonly voter: string;
  /** `host:port` of the master of record it judged (null: not said). */
  readonly about?: string | null;
  readonly sdownSince: number | null;
  readonly expiresAt: number;
}

/**
 * The votes about the master of record `about`: right after a switch, the voters' SDOWN votes
 * about the old master are still fresh in the table, and must not count against the new one.
 */
export function votesAbout<V extends VoteView>(votes: readonly V[], about: string): V[] {
  return votes.filter((vote) => vote.about === undefined || vote.about === null || vote.about === about);
}

/**
 * The promoted replica becomes the master of record: the role it reported as a replica of the old
 * master says nothing against it as the new one, so the reports-role:slave clock starts now (a
 * Sentinel starts a new instance for the new master too).
 */
export function asNewMaster(watch: InstanceWatch, now: number): InstanceWatch {
  return { ...watch, reportedRole: 'unknown', roleSince: now };
}

/**
 * The witness rule (beyond Sentinel, as GitHub's orchestrator judges a dead master): a replica
 * that still replicates from the master, its link up and something heard within down-after,
 * says the master is alive, whatever the voters see. A replica the voters cannot reach says
 * nothing, so it counts as agreeing the master is down.
 */
export function witnessSeesMaster(info: ReplicationInfo, master: Address, downAfterMs: number): boolean {
  if (!followsMaster(info, master) || !info.masterLinkUp || info.masterLastIoSeconds === null) return false;
  return info.masterLastIoSeconds * 1000 <= downAfterMs;
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
