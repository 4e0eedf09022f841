/** Summaries and the printed tables: pure functions over trial results. */
import { CLIENT_LABELS } from './client-libraries.ts';
import type { ClientTrialResult } from './clients.ts';
import type { PartitionResult } from './partition.ts';
import type { Chain, Fault, System, TrialResult } from './trial.ts';

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
  ['killToAddressMs', 'kill → GET-MASTER-ADDR-BY-NAME names the new master (ms)'],
  ['killToReplicasMs', 'kill → replicas following, link up (ms)'],
  ['killToFirstWriteMs', 'kill → first write on the new master (ms)'],
  ['lostWrites', 'acknowledged writes lost'],
  ['ackedWrites', 'acknowledged writes (trial)'],
  ['wokenDemotedMs', 'old master woken (SIGCONT) → replicating from the new one (ms)'],
] as const;

/** How the tables name each fault in place of "kill". */
const FAULT_WORDS: Readonly<Record<Fault, string>> = { kill: 'kill', stop: 'SIGSTOP' };

export type Figure = (typeof FIGURES)[number][0];

export type Figures = Record<Figure, Stats>;

/** The table's columns in order: ours first, then Sentinel. */
const SYSTEMS: readonly System[] = ['redis-failover', 'redis-failover-aws-warm', 'redis-failover-aws-cold', 'sentinel'];

const SYSTEM_LABELS: Readonly<Record<System, string>> = {
  'redis-failover': 'redis-failover',
  'redis-failover-aws-warm': 'redis-failover (aws, warm)',
  'redis-failover-aws-cold': 'redis-failover (aws, cold)',
  sentinel: 'redis-sentinel 7',
};

const CHAINS: ReadonlyArray<readonly [Chain, System]> = [
  ['warm', 'redis-failover-aws-warm'],
  ['cold', 'redis-failover-aws-cold'],
];

export interface ColdStartStats extends Stats {
  /** Cold invocations of the step over all cold trials. */
  readonly count: number;
}

export interface Summary {
  readonly fault: Fault;
  readonly downAfterMs: number;
  /** Trials per system. */
  readonly trials: number;
  /** Only the systems present. */
  readonly bySystem: Partial<Record<System, Figures>>;
  /** The first of ours (the local runtime, or the warm aws chain): median failover overhead beyond down-after divided by Sentinel's. */
  readonly overheadRatio: number;
  /** The systems present, in table order. */
  readonly systems: readonly System[];
  /** The same ratio for each of ours. */
  readonly overheadRatios: Partial<Record<System, number>>;
  /** The same for GET-MASTER-ADDR-BY-NAME: median (fault → new address − down-after), ours / Sentinel's; NaN where not measured. */
  readonly addressOverheadRatios: Partial<Record<System, number>>;
  /** aws only: +elected-leader → +switch-master, by chain. */
  readonly electedToSwitchMs?: Partial<Record<Chain, Stats>>;
  /** aws only: cold starts of each step function over the cold trials, in the order the chain first reached them. */
  readonly coldStartMs?: Readonly<Record<string, ColdStartStats>>;
}

export function summarize(results: readonly TrialResult[], downAfterMs: number): Summary {
  const of = (system: System): Figures => {
    const mine = results.filter((r) => r.system === system);
    const figure = (pick: (r: TrialResult) => number | null) => stats(mine.map(pick).filter((n): n is number => n !== null));
    return {
      killToSwitchMs: figure((r) => r.killToSwitchMs),
      overheadMs: figure((r) => r.killToSwitchMs - downAfterMs),
      killToAddressMs: figure((r) => r.killToAddressMs),
      wokenDemotedMs: figure((r) => r.wokenDemotedMs),
      killToReplicasMs: figure((r) => r.killToReplicasMs),
      killToFirstWriteMs: figure((r) => r.killToFirstWriteMs),
      lostWrites: figure((r) => r.lostWrites),
      ackedWrites: figure((r) => r.ackedWrites),
    };
  };
  const systems = SYSTEMS.filter((s) => results.some((r) => r.system === s));
  const bySystem: Partial<Record<System, Figures>> = {};
  for (const system of systems) bySystem[system] = of(system);
  const sentinelOverhead = bySystem.sentinel?.overheadMs.median ?? Number.NaN;
  const ours = systems.filter((s) => s !== 'sentinel');
  const overheadRatios: Partial<Record<System, number>> = {};
  for (const system of ours) overheadRatios[system] = bySystem[system]!.overheadMs.median / sentinelOverhead;
  const addressOverhead = (system: System) => (bySystem[system]?.killToAddressMs.median ?? Number.NaN) - downAfterMs;
  const addressOverheadRatios: Partial<Record<System, number>> = {};
  for (const system of ours) addressOverheadRatios[system] = addressOverhead(system) / addressOverhead('sentinel');
  const trials = Math.max(0, ...systems.map((s) => results.filter((r) => r.system === s).length));
  const fault = results[0]?.fault ?? 'kill';
  const summary: Summary = {
    fault,
    downAfterMs,
    trials,
    bySystem,
    overheadRatio: ours[0] ? overheadRatios[ours[0]]! : Number.NaN,
    systems,
    overheadRatios,
    addressOverheadRatios,
  };

  const chains = CHAINS.filter(([, system]) => systems.includes(system));
  if (chains.length === 0) return summary;
  const electedToSwitchMs: Partial<Record<Chain, Stats>> = {};
  for (const [chain, system] of chains)
    electedToSwitchMs[chain] = stats(results.filter((r) => r.system === system && r.electedToSwitchMs !== undefined).map((r) => r.electedToSwitchMs!));
  const coldStarts = new Map<string, number[]>();
  for (const result of results.filter((r) => r.system === 'redis-failover-aws-cold')) {
    for (const step of result.steps ?? []) {
      if (!step.cold || step.coldStartMs === null) continue;
      coldStarts.set(step.step, [...(coldStarts.get(step.step) ?? []), step.coldStartMs]);
    }
  }
  const coldStartMs: Record<string, ColdStartStats> = {};
  for (const [step, values] of coldStarts) coldStartMs[step] = { ...stats(values), count: values.length };
  return { ...summary, electedToSwitchMs, coldStartMs };
}

export function formatTable(summary: Summary): string {
  const columns = summary.systems;
  // A figure no system measured in this run (the woken master after a kill) has no row.
  const measured = FIGURES.filter(([key]) => columns.some((system) => !Number.isNaN(summary.bySystem[system]![key].median)));
  const word = FAULT_WORDS[summary.fault];
  const rows = measured.map(([key, label]) => [label.replace(/^kill/, word), ...columns.map((system) => cell(summary.bySystem[system]![key]))]);
  const ratios = columns
    .filter((system) => system !== 'sentinel')
    .map((system) => {
      const ratio = summary.overheadRatios[system]!.toFixed(2);
      const chain = CHAINS.find(([, s]) => s === system)?.[0];
      return chain ? `${ratio} (aws, ${chain})` : ratio;
    });
  return [
    ...markdownTable(['median (min–max)', ...columns.map((system) => SYSTEM_LABELS[system])], rows),
    '',
    `Failover overhead beyond down-after (${summary.downAfterMs} ms), ours / Sentinel's median: ${ratios.join(', ')}`,
    ...addressRatioLine(summary),
  ].join('\n');
}

/** The same ratio for the address clients are given, where both sides answered it. */
function addressRatioLine(summary: Summary): string[] {
  const ratios = Object.entries(summary.addressOverheadRatios).filter(([, ratio]) => !Number.isNaN(ratio));
  if (ratios.length === 0) return [];
  return [
    `…until GET-MASTER-ADDR-BY-NAME names the new master: ${ratios.map(([system, ratio]) => `${ratio.toFixed(2)} (${SYSTEM_LABELS[system as System]})`).join(', ')}`,
  ];
}

/** The aws section after the table: the chain warm against cold, and each step's cold start. Empty without aws trials. */
export function formatChains(summary: Summary): string {
  const chains = summary.electedToSwitchMs;
  if (!chains) return '';
  const lines = ['The failover chain on the simulated deployment, +elected-leader → +switch-master (ms), median (min–max)'];
  for (const [chain] of CHAINS) {
    const s = chains[chain];
    if (s) lines.push(`  ${chain}  ${cell(s)}`);
  }
  if (chains.warm && chains.cold) lines.push(`  cold − warm, medians: ${fmt(chains.cold.median - chains.warm.median)} ms`);
  const steps = Object.entries(summary.coldStartMs ?? {});
  if (steps.length > 0) {
    lines.push('', 'Cold starts of the step functions in the cold trials, spawn to handler loaded (ms)');
    lines.push(
      ...markdownTable(
        ['step function', 'median (min–max)', 'cold starts'],
        steps.map(([step, s]) => [step, cell(s), String(s.count)]),
      ),
    );
  }
  return lines.join('\n');
}

/** The partition benchmark's table: each variant's figures over its trials, median (min–max), columns in the order first run. */
export function formatPartitions(results: readonly PartitionResult[]): string {
  const variants = [...new Set(results.map((r) => r.variant))];
  const of = (variant: string, pick: (r: PartitionResult) => number | null) =>
    cell(
      stats(
        results
          .filter((r) => r.variant === variant)
          .map(pick)
          .filter((n): n is number => n !== null),
      ),
    );
  const rows: Array<[string, (r: PartitionResult) => number | null]> = [
    ['partition (ms)', (r) => r.partitionMs],
    ['acknowledged writes lost', (r) => r.lostWrites],
    ['…taken over (ms, first to last lost write)', (r) => r.lostWindowMs],
    ['acknowledged writes (trial)', (r) => r.ackedWrites],
    ['two masters taking writes (ms)', (r) => r.twoMastersMs],
    ['failovers', (r) => r.failovers],
    ['+sdown/+odown of a server never cut off', (r) => r.falseVerdicts.length],
    ['heal → old master demoted (ms)', (r) => r.demotedAfterHealMs],
  ];
  return markdownTable(
    ['median (min–max)', ...variants],
    rows.map(([label, pick]) => [label, ...variants.map((v) => of(v, pick))]),
  ).join('\n');
}

/** One probe's DynamoDB requests per minute while nothing fails. */
export interface IdleProbe {
  /** The probe function's logical id without its hash (`FailoverProbesProbe1`). */
  readonly probe: string;
  /** Requests per minute by operation (`GetItem`, `Query`, …), averaged over the minutes after the first. */
  readonly perMinute: Readonly<Record<string, number>>;
  readonly totalPerMinute: number;
  /** Requests by operation in each of those minutes, for the spread. */
  readonly eachMinute: ReadonlyArray<Readonly<Record<string, number>>>;
}

export interface IdleSummary {
  /** How long the deployment watched; the first minute (start-up) is left out of the averages. */
  readonly minutes: number;
  readonly probeIntervalSeconds: number;
  readonly probes: readonly IdleProbe[];
}

/**
 * Requests per minute by operation over the whole minutes after the first: the first includes
 * every function's start-up (the session taken, the replicas discovered), which the steady state does not.
 */
export function idleRates(
  probe: string,
  requests: ReadonlyArray<{ readonly operation: string; readonly at: number }>,
  startedAt: number,
  minutes: number,
): IdleProbe {
  if (!Number.isInteger(minutes) || minutes < 2) throw new Error(`idle rates need at least 2 whole minutes (got ${minutes})`);
  const eachMinute: Record<string, number>[] = [];
  for (let minute = 1; minute < minutes; minute++) {
    const from = startedAt + minute * 60_000;
    const counts: Record<string, number> = {};
    for (const r of requests) if (r.at >= from && r.at < from + 60_000) counts[r.operation] = (counts[r.operation] ?? 0) + 1;
    eachMinute.push(counts);
  }
  const operations = [...new Set(eachMinute.flatMap((m) => Object.keys(m)))].sort();
  const perMinute: Record<string, number> = {};
  for (const op of operations) perMinute[op] = eachMinute.reduce((sum, m) => sum + (m[op] ?? 0), 0) / eachMinute.length;
  const totalPerMinute = Object.values(perMinute).reduce((sum, n) => sum + n, 0);
  return { probe, perMinute, totalPerMinute, eachMinute };
}

export function formatIdle(idle: IdleSummary): string {
  const operations = [...new Set(idle.probes.flatMap((p) => Object.keys(p.perMinute)))].sort();
  const rows = idle.probes.map((p) => [p.probe, ...operations.map((op) => fmt(p.perMinute[op] ?? 0)), fmt(p.totalPerMinute)]);
  const last = idle.minutes;
  const window = last === 2 ? 'minute 2' : `minutes 2–${last}`;
  return [
    `Idle: one deployment watching a healthy topology for ${idle.minutes} minutes, probe interval ${idle.probeIntervalSeconds} s`,
    `DynamoDB requests per probe per minute, average of ${window} (the first includes start-up)`,
    '',
    ...markdownTable(['probe', ...operations, 'total'], rows),
  ].join('\n');
}

function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

/** `median (min–max)`, or `–` where nothing was measured (the deployed stack answers no GET-MASTER-ADDR-BY-NAME). */
function cell(s: Stats): string {
  return Number.isNaN(s.median) ? '–' : `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return '–';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** `bench --fault all`: one row per fault (and partition scenario) and system, the figures a user loses by. */
export function formatOverview(
  failovers: readonly Summary[],
  partitions: ReadonlyArray<{ readonly title: string; readonly results: readonly PartitionResult[] }>,
): string {
  const median = (values: ReadonlyArray<number | null>) => {
    const present = values.filter((n): n is number => n !== null);
    return present.length === 0 ? '–' : fmt(stats(present).median);
  };
  const rows: string[][] = [];
  for (const summary of failovers) {
    for (const system of summary.systems) {
      const figures = summary.bySystem[system]!;
      const demoted = summary.fault === 'stop' ? fmt(figures.wokenDemotedMs.median) : '–';
      rows.push([
        FAULT_WORDS[summary.fault] === 'kill' ? 'kill -9' : 'SIGSTOP',
        SYSTEM_LABELS[system],
        fmt(figures.killToSwitchMs.median),
        fmt(figures.lostWrites.median),
        '–',
        '–',
        String(summary.trials),
        '–',
        demoted,
      ]);
    }
  }
  for (const { title, results } of partitions) {
    for (const variant of [...new Set(results.map((r) => r.variant))]) {
      const mine = results.filter((r) => r.variant === variant);
      rows.push([
        title,
        variant,
        '–',
        median(mine.map((r) => r.lostWrites)),
        median(mine.map((r) => r.lostWindowMs)),
        median(mine.map((r) => r.twoMastersMs)),
        String(mine.reduce((sum, r) => sum + r.failovers, 0)),
        String(mine.reduce((sum, r) => sum + r.falseVerdicts.length, 0)),
        median(mine.map((r) => r.demotedAfterHealMs)),
      ]);
    }
  }
  // The lost writes' count depends on the writer's pace; the time over which they were taken does not.
  const header = [
    'fault',
    'system',
    '→ +switch-master (ms)',
    'acknowledged writes lost',
    '…taken over (ms)',
    'two masters (ms)',
    'failovers (all trials)',
    'false +sdown/+odown (all trials)',
    'old master demoted after wake/heal (ms)',
  ];
  return markdownTable(header, rows).join('\n');
}

/** `bench --clients`: per client library, fault → its own first acknowledged write after the fault, through each system. */
export function formatClients(results: readonly ClientTrialResult[]): string {
  const libraries = [...new Set(results.map((r) => r.library))];
  const of = (library: ClientTrialResult['library'], system: ClientTrialResult['system']) => {
    const mine = results.filter((r) => r.library === library && r.system === system);
    const missed = mine.filter((r) => r.faultToFirstWriteMs === null).length;
    const figure = cell(stats(mine.map((r) => r.faultToFirstWriteMs).filter((n): n is number => n !== null)));
    return missed === 0 ? figure : `${figure}, ${missed} never within 30 s`;
  };
  const rows = libraries.map((library) => [CLIENT_LABELS[library], of(library, 'redis-failover'), of(library, 'sentinel')]);
  return markdownTable(['fault → first write after it, median (min–max) ms', 'through redis-failover local', 'through redis-sentinel 7'], rows).join('\n');
}
