/** Summaries and the printed table: pure functions over trial results. */
import type { System, TrialResult } from './trial.ts';

export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

export const FIGURES = [
  ['killToSwitchMs', 'kill → +switch-master (ms)'],
  ['overheadMs', 'failover overhead beyond down-after (ms)'],
  ['killToReplicasMs', 'kill → replicas following, link up (ms)'],
  ['killToFirstWriteMs', 'kill → first write on the new master (ms)'],
  ['lostWrites', 'acknowledged writes lost'],
  ['ackedWrites', 'acknowledged writes (trial)'],
] as const;

export type Figure = (typeof FIGURES)[number][0];

export interface Summary {
  readonly downAfterMs: number;
  readonly trials: number;
  readonly bySystem: Record<System, Record<Figure, Stats>>;
  /** Our median failover overhead beyond down-after divided by Sentinel's. */
  readonly overheadRatio: number;
}

export function summarize(results: readonly TrialResult[], downAfterMs: number): Summary {
  const of = (system: System): Record<Figure, Stats> => {
    const mine = results.filter((r) => r.system === system);
    const figure = (pick: (r: TrialResult) => number) => stats(mine.map(pick));
    return {
      killToSwitchMs: figure((r) => r.killToSwitchMs),
      overheadMs: figure((r) => r.killToSwitchMs - downAfterMs),
      killToReplicasMs: figure((r) => r.killToReplicasMs),
      killToFirstWriteMs: figure((r) => r.killToFirstWriteMs),
      lostWrites: figure((r) => r.lostWrites),
      ackedWrites: figure((r) => r.ackedWrites),
    };
  };
  const bySystem = { 'redis-failover': of('redis-failover'), sentinel: of('sentinel') };
  const overheadRatio = bySystem['redis-failover'].overheadMs.median / bySystem.sentinel.overheadMs.median;
  return { downAfterMs, trials: results.length / 2, bySystem, overheadRatio };
}

export function formatTable(summary: Summary): string {
  const cell = (s: Stats) => `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
  const rows = FIGURES.map(([key, label]) => [label, cell(summary.bySystem['redis-failover'][key]), cell(summary.bySystem.sentinel[key])]);
  const header = ['median (min–max)', 'redis-failover', 'redis-sentinel 7'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.map(line),
    '',
    `Failover overhead beyond down-after (${summary.downAfterMs} ms), ours / Sentinel's median: ${summary.overheadRatio.toFixed(2)}`,
  ].join('\n');
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
