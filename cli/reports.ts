/**
 * What `status`, `history`, `pause`, `resume` and `get-master-addr` print for a person (with
 * `--json` they print the answer itself). Pure: one answer in, lines out.
 */
import type { HistoryEntry } from '../lambdas/core/history.ts';
import type { Address } from '../lambdas/core/types.ts';
import type { PauseState } from '../lambdas/runtime/maintenance.ts';
import type { MasterStatus, ReplicaStatus } from '../lambdas/runtime/status.ts';

const at = (a: Address): string => `${a.host}:${a.port}`;

/** `1.24 s`, `85 ms`: what a person reads at a glance. */
function duration(ms: number | null): string {
  if (ms === null) return '…';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

export function statusReport(masters: readonly MasterStatus[]): string {
  return masters.map(masterReport).join('\n');
}

function masterReport(m: MasterStatus): string {
  const seen = m.master.reachable ? `answers as ${m.master.role}` : 'unreachable';
  const alive = m.voters.filter((v) => v.alive);
  const holding = alive.filter((v) => v.opinion === 'sdown').length;
  const lines = [
    `${m.name}: master ${at(m.master)} (${seen}), epoch ${m.epoch}${m.odown ? ', ODOWN' : ''}`,
    ...(at(m.clientsGiven) === at(m.master) ? [] : [`  clients are given ${at(m.clientsGiven)} (the promoted replica)`]),
    `  voters: ${alive.length} of ${m.voters.length} voting, ${holding} hold it down, quorum ${m.quorum}` +
      (m.voters.length > 0 ? ` (${m.voters.map((v) => `${v.voter} ${v.alive ? v.opinion : 'silent'}`).join(', ')})` : ''),
    `  pause: ${m.pause ? `until ${m.pause.until} (${m.pause.reason}; by ${m.pause.by}): no automatic failover` : 'none'}`,
    `  failover: ${m.failover ? `${m.failover.execution} in progress, led by ${m.failover.leader} since ${m.failover.startedAt}` : 'none in progress'}` +
      (m.lastSwitchAt ? `; last switch ${m.lastSwitchAt}` : ''),
    `  replicas: ${m.replicas.length === 0 ? 'none known' : ''}`,
    ...m.replicas.map(replicaLine),
  ];
  return lines.join('\n');
}

function replicaLine(r: ReplicaStatus): string {
  if (!r.reachable) return `    ${at(r)}  unreachable`;
  const parts = [
    r.role ?? 'unknown',
    ...(r.following ? [`of ${r.following}`] : []),
    ...(r.link ? [`link ${r.link}`] : []),
    ...(r.lagBytes !== null ? [`lag ${r.lagBytes} B`] : []),
    ...(r.lastIoSeconds !== null ? [`last io ${r.lastIoSeconds} s`] : []),
    ...(r.priority !== null ? [`priority ${r.priority}`] : []),
  ];
  return `    ${at(r)}  ${parts.join(', ')}`;
}

export function historyReport(failovers: readonly HistoryEntry[]): string {
  if (failovers.length === 0) return 'no failover on record';
  return failovers
    .map((f) => {
      const route = f.from ? `${at(f.from)} → ${f.to ? at(f.to) : '(none)'}` : '';
      const result = f.result === 'aborted' || f.result === 'failed' ? `${f.result} (${f.error ?? 'unknown'})` : f.result;
      const head = `${f.execution}: epoch ${f.epoch ?? '?'}, ${f.trigger ?? 'trigger unknown'}, ${route}, ${result}, ${duration(f.durationMs)}, started ${f.startedAt}`;
      const phases = f.phases.map((p) => `${p.state} ${duration(p.durationMs)}`).join(' · ');
      return phases ? `${head}\n  ${phases}` : head;
    })
    .join('\n');
}

export function pauseReport(states: readonly PauseState[], verb: 'paused' | 'resumed'): string {
  return states
    .map((s) =>
      verb === 'paused' && s.pause
        ? `${s.master}: paused until ${new Date(s.pause.until).toISOString()} (${s.pause.reason}): no automatic failover; a manual one still runs`
        : `${s.master}: resumed: automatic failover is on`,
    )
    .join('\n');
}
