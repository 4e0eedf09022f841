/**
 * Choosing the replica to promote, as Sentinel's sentinelSelectSlave() does
 * (the rules in docs/failover.md, "SelectSlave"). Pure: time comes in `ctx.now`.
 */
import type { Address, FailoverInput, ReplicaObservation } from './types.ts';
import { zoneRank, type ZonePreference } from './zones.ts';

/** A replica whose last acceptable PING reply is older than this is skipped (Sentinel: 5 × ping period). */
export const PING_VALIDITY_MS = 5000;
/** A replica whose last INFO is older than this is skipped (Sentinel's value while the master is SDOWN). */
export const INFO_VALIDITY_MS = 5000;
/** The link-down allowance is this many times down-after-milliseconds, plus how long the master has been down. */
export const LINK_DOWN_DOWN_AFTER_FACTOR = 10;

export interface SelectionContext {
  /** ms since the Unix epoch. */
  readonly now: number;
  /** Since when the master is down (ms), or null when it is not (manual failover). */
  readonly masterDownSince: number | null;
  readonly downAfterMs: number;
  /** The lag gate (FailoverSettings.maxPromotionLagBytes): at most this many bytes behind the reference offset. @default - no gate */
  readonly maxLagBytes?: number;
  /** The master's last replication offset as master, when known: the gate's reference if it is the most advanced. */
  readonly masterOffset?: number | null;
  /** Zone preference (FailoverSettings.zonePreference), with the master failed over from. @default - none */
  readonly zones?: { readonly preference: ZonePreference; readonly oldMaster: Address };
}

export type RejectionReason =
  | 'unreachable'
  | 'ping-stale'
  | 'info-stale'
  | 'priority-zero'
  | 'link-down-too-long'
  | 'not-a-replica'
  | 'loading'
  | 'lag-too-large';

export interface Rejection {
  readonly address: Address;
  readonly reason: RejectionReason;
  readonly detail: string;
}

export interface SelectionResult {
  /** The best candidate (`ranked[0]`), or null when none is acceptable (`-failover-abort-no-good-slave`). */
  readonly chosen: ReplicaObservation | null;
  /** Acceptable candidates, best first. */
  readonly ranked: readonly ReplicaObservation[];
  /** Every other observation with the first reason that excluded it, in input order. */
  readonly rejected: readonly Rejection[];
}

/** The context a failover's input gives selection: its timing, its lag gate with the master's last offset, its zone preference. */
export function selectionContext(input: Pick<FailoverInput, 'master' | 'masterDownSince' | 'settings' | 'masterOffset'>, now: number): SelectionContext {
  const { maxPromotionLagBytes, zonePreference } = input.settings;
  return {
    now,
    masterDownSince: input.masterDownSince,
    downAfterMs: input.settings.downAfterMs,
    ...(maxPromotionLagBytes !== undefined && { maxLagBytes: maxPromotionLagBytes }),
    masterOffset: input.masterOffset ?? null,
    ...(zonePreference !== undefined && { zones: { preference: zonePreference, oldMaster: input.master } }),
  };
}

/** "310", "0.5": seconds without trailing zeros, for human-readable details. */
function seconds(ms: number): string {
  return Number.isFinite(ms) ? String(Number((ms / 1000).toFixed(3))) : 'ever';
}

/** Longest acceptable master-link outage (ms): time the master has been down plus 10 × down-after. */
export function maxLinkDownMs(ctx: SelectionContext): number {
  const masterDownFor = ctx.masterDownSince === null ? 0 : Math.max(0, ctx.now - ctx.masterDownSince);
  return masterDownFor + LINK_DOWN_DOWN_AFTER_FACTOR * ctx.downAfterMs;
}

/** Why `o` cannot be promoted, or null when it is a candidate. Checks run cheapest-evidence first; the first hit wins. */
function rejectionOf(o: ReplicaObservation, ctx: SelectionContext): Omit<Rejection, 'address'> | null {
  if (!o.reachable) return { reason: 'unreachable', detail: 'no acceptable PING reply' };
  if (o.pingAgeMs > PING_VALIDITY_MS) {
    return { reason: 'ping-stale', detail: `last PING reply ${o.pingAgeMs} ms ago, limit ${PING_VALIDITY_MS} ms` };
  }
  const info = o.info;
  if (info === null) return { reason: 'info-stale', detail: 'no INFO reply' };
  if (o.infoAgeMs > INFO_VALIDITY_MS) {
    return { reason: 'info-stale', detail: `INFO ${o.infoAgeMs} ms old, limit ${INFO_VALIDITY_MS} ms` };
  }
  if (info.role !== 'slave') return { reason: 'not-a-replica', detail: `role ${info.role}` };
  if (info.loading) return { reason: 'loading', detail: 'loading its dataset' };
  if (info.replicaPriority === 0) return { reason: 'priority-zero', detail: 'replica-priority 0' };
  if (!info.masterLinkUp) {
    // null with the link down means "never connected" once Infinity went through JSON.
    const downMs = (info.masterLinkDownSinceSeconds ?? Number.POSITIVE_INFINITY) * 1000;
    const limitMs = maxLinkDownMs(ctx);
    if (downMs > limitMs) {
      const since = Number.isFinite(downMs) ? `for ${seconds(downMs)} s` : 'since it started (never connected)';
      return { reason: 'link-down-too-long', detail: `master link down ${since}, limit ${seconds(limitMs)} s` };
    }
  }
  return null;
}

/**
 * Sentinel's order: lower replica-priority, then larger replication offset, then the
 * lexicographically smaller run_id (case-insensitive like strcasecmp; a missing run_id sorts last).
 * With `zoneRankOf` (zone preference, beyond Sentinel), the lower zone rank after the priority.
 */
export function compareCandidates(a: ReplicaObservation, b: ReplicaObservation, zoneRankOf?: (replica: Address) => number): number {
  const ia = a.info;
  const ib = b.info;
  // Observations without INFO are never candidates; keep them last should a caller sort them anyway.
  if (ia === null || ib === null) return (ia === null ? 1 : 0) - (ib === null ? 1 : 0);
  if (ia.replicaPriority !== ib.replicaPriority) return ia.replicaPriority - ib.replicaPriority;
  const zoneOrder = zoneRankOf ? zoneRankOf(a.address) - zoneRankOf(b.address) : 0;
  if (zoneOrder !== 0) return zoneOrder;
  if (ia.replOffset !== ib.replOffset) return ib.replOffset - ia.replOffset;
  if (ia.runId === null || ib.runId === null) return (ia.runId === null ? 1 : 0) - (ib.runId === null ? 1 : 0);
  const ra = ia.runId.toLowerCase();
  const rb = ib.runId.toLowerCase();
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/**
 * The lag gate, after Sentinel's rules: the reference is the most advanced offset known, the
 * master's last or any replica's, so a replica that alone holds the latest writes always passes.
 */
function lagRejection(o: ReplicaObservation, maxLagBytes: number, referenceOffset: number): Omit<Rejection, 'address'> | null {
  const offset = o.info?.replOffset ?? 0;
  const behind = referenceOffset - offset;
  if (behind <= maxLagBytes) return null;
  return { reason: 'lag-too-large', detail: `replication offset ${offset} is ${behind} bytes behind ${referenceOffset} (maxPromotionLagBytes ${maxLagBytes})` };
}

/** The most advanced replication offset known: the master's last, or the furthest replica's. */
function referenceOffset(observations: readonly ReplicaObservation[], masterOffset: number | null | undefined): number {
  return Math.max(masterOffset ?? 0, ...observations.map((o) => (o.info?.role === 'slave' ? o.info.replOffset : 0)));
}

/** Why none qualifies, one line: each replica and its reason (`127.0.0.1:6380 replica-priority 0; …`). */
export function rejectionsText(rejected: readonly Rejection[]): string {
  return rejected.map((r) => `${r.address.host}:${r.address.port} ${r.detail}`).join('; ') || 'no replicas known';
}

/** Filters out unusable replicas and ranks the rest; the first ranked one is chosen. */
export function selectReplica(observations: readonly ReplicaObservation[], ctx: SelectionContext): SelectionResult {
  const candidates: ReplicaObservation[] = [];
  const rejected: Rejection[] = [];
  const reference = referenceOffset(observations, ctx.masterOffset);
  for (const o of observations) {
    const r = rejectionOf(o, ctx) ?? (ctx.maxLagBytes === undefined ? null : lagRejection(o, ctx.maxLagBytes, reference));
    if (r === null) candidates.push(o);
    else rejected.push({ address: o.address, ...r });
  }
  // Array.prototype.sort is stable: full ties keep input order, so the result is deterministic.
  const zones = ctx.zones;
  const zoneRankOf = zones && ((replica: Address) => zoneRank(replica, zones.oldMaster, zones.preference));
  const ranked = candidates.sort((a, b) => compareCandidates(a, b, zoneRankOf));
  return { chosen: ranked[0] ?? null, ranked, rejected };
}
