/**
 * What a failover counts and times, read from the events it publishes and the state it carries.
 * Pure: the adapters write the figures (EMF on AWS) and the rules stay in one place.
 */
import type { SentinelEvent, SentinelEventName } from './events.ts';
import type { FailoverState } from './workflow-state.ts';

/** A count a published event stands for: its name, and the reason when the metric is split by one. */
export interface EventCount {
  readonly name: 'FailoversStarted' | 'FailoversSucceeded' | 'FailoversAborted';
  readonly reason?: string;
}

const ABORT_PREFIX = '-failover-abort-';

/**
 * `+try-failover` (published once per epoch, by the leader that won it) starts a failover,
 * `+switch-master` ends one that succeeded, `-failover-abort-<reason>` one that gave up.
 */
export function eventCount(type: SentinelEventName): EventCount | null {
  if (type === '+try-failover') return { name: 'FailoversStarted' };
  if (type === '+switch-master') return { name: 'FailoversSucceeded' };
  if (type.startsWith(ABORT_PREFIX)) return { name: 'FailoversAborted', reason: type.slice(ABORT_PREFIX.length) };
  return null;
}

/** The counts a batch of published events stands for, with the group each is about. */
export function eventCounts(events: readonly SentinelEvent[]): Array<EventCount & { readonly master: string }> {
  return events.flatMap((event) => {
    const count = eventCount(event.type);
    return count ? [{ ...count, master: event.master }] : [];
  });
}

/** The phases of a failover as the workflow runs them, named as Sentinel's failover states. */
export type FailoverPhase = 'select-slave' | 'promote' | 'reconf-slaves';

/** How long a finished failover took, in ms: the whole, each phase, and the detection before it. */
export interface FailoverTimeline {
  /** From the start of the workflow (the lease won) to `+switch-master`. */
  readonly durationMs: number;
  /** From the first voter's SDOWN of the master to the start (the quorum agreeing, the election); null for a manual failover of a live master. */
  readonly detectionMs: number | null;
  readonly phases: Partial<Record<FailoverPhase, number>>;
}

/** The timeline of `state` at `switchedAt`; a phase whose bounds the state does not hold is left out. */
export function failoverTimeline(state: FailoverState, switchedAt: number): FailoverTimeline {
  const selectedAt = state.selection?.selectedAt ?? null;
  const confirmedAt = state.promotion?.confirmedAt ?? null;
  const span = (from: number | null, to: number | null): number | undefined => (from !== null && to !== null && to >= from ? to - from : undefined);
  const phases: Partial<Record<FailoverPhase, number>> = {};
  const select = span(state.startedAt, selectedAt);
  const promote = span(selectedAt, confirmedAt);
  const reconf = span(confirmedAt, switchedAt);
  if (select !== undefined) phases['select-slave'] = select;
  if (promote !== undefined) phases.promote = promote;
  if (reconf !== undefined) phases['reconf-slaves'] = reconf;
  return {
    durationMs: Math.max(0, switchedAt - state.startedAt),
    detectionMs: state.masterDownSince === null ? null : Math.max(0, state.startedAt - state.masterDownSince),
    phases,
  };
}
