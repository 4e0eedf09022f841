/**
 * Sentinel's per-replica reconfiguration state machine (sent → inprog → done), as a pure
 * function of what the replica's INFO shows now. The ReconfSlave step loops over it.
 */
import { followsMaster } from './info.ts';
import type { SentinelEventName } from './events.ts';
import type { ReplicationInfo } from './types.ts';
import { FINISHED_PHASES, type ReconfItem, type ReconfPhase } from './workflow-state.ts';

/** Sentinel's SENTINEL_SLAVE_RECONF_TIMEOUT: a replica stuck in "sent" this long counts as done. */
export const SLAVE_RECONF_SENT_TIMEOUT_MS = 10_000;

/** What the step saw when it looked at the target just now. */
export interface ReconfObservation {
  readonly reachable: boolean;
  readonly info: ReplicationInfo | null;
}

export interface ReconfDecision {
  readonly phase: ReconfPhase;
  readonly sentAt: number | null;
  readonly unreachableSince: number | null;
  /** Send `REPLICAOF <promoted>` before publishing the events. */
  readonly send: boolean;
  readonly events: readonly SentinelEventName[];
}

export function isFinished(phase: ReconfPhase): boolean {
  return FINISHED_PHASES.includes(phase);
}

/** The reconfiguration deadline: failover-timeout counted from the confirmed promotion. */
export function reconfDeadline(item: ReconfItem): number {
  return item.reconfStartedAt + item.settings.failoverTimeoutMs;
}

export function advanceReconf(item: ReconfItem, seen: ReconfObservation, now: number): ReconfDecision {
  const same = { phase: item.phase, sentAt: item.sentAt ?? null, unreachableSince: item.unreachableSince ?? null, send: false, events: [] };
  if (isFinished(item.phase)) return same;
  if (now > reconfDeadline(item)) return { ...same, phase: 'timeout' };

  if (!seen.reachable || !seen.info) {
    const since = item.unreachableSince ?? now;
    // Not yet sent: skip it, as Sentinel skips replicas it is disconnected from.
    // Already sent: give it down-after to come back before giving up on it.
    const giveUp = item.phase === 'pending' || now - since >= item.settings.downAfterMs;
    return { ...same, unreachableSince: since, phase: giveUp ? 'unreachable' : item.phase };
  }
  const reachable = { ...same, unreachableSince: null };
  const following = followsMaster(seen.info, item.promoted);

  switch (item.phase) {
    case 'pending':
      if (item.target.role !== 'replica') {
        // A master (old or stray) is fenced, not waited for: its resync must not delay the failover's end.
        return following ? { ...reachable, phase: 'done' } : { ...reachable, phase: 'done', sentAt: now, send: true, events: ['+convert-to-slave'] };
      }
      return { ...reachable, phase: 'sent', sentAt: now, send: !following, events: ['+slave-reconf-sent'] };
    case 'sent':
      if (following) return { ...reachable, phase: 'inprog', events: ['+slave-reconf-inprog'] };
      if (same.sentAt !== null && now - same.sentAt > SLAVE_RECONF_SENT_TIMEOUT_MS) {
        return { ...reachable, phase: 'sent-timeout', events: ['-slave-reconf-sent-timeout'] };
      }
      return reachable;
    case 'inprog':
      return seen.info.masterLinkUp && following ? { ...reachable, phase: 'done', events: ['+slave-reconf-done'] } : reachable;
    default:
      return reachable;
  }
}
