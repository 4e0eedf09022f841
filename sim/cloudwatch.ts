/**
 * CloudWatch for the simulation, as far as the stack's own metrics go: the data points CloudWatch
 * Logs extracts from the functions' embedded-metric-format lines, and an alarm of the template
 * evaluated over them the way CloudWatch does (the last EvaluationPeriods periods, summed per
 * period, missing periods treated as TreatMissingData says). Enough to show that an alarm fires
 * from what the deployed code writes, not from a metric a test made up.
 */
import type { TemplateResource } from '../local/cloudformation.ts';

export interface DataPoint {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly value: number;
  /** Epoch ms. */
  readonly timestamp: number;
}

interface EmfLine {
  readonly _aws?: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: ReadonlyArray<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
  };
  readonly [field: string]: unknown;
}

/** Every data point in `lines` (a function's log): lines that are not EMF are skipped, as CloudWatch skips them. */
export function dataPoints(lines: readonly string[]): DataPoint[] {
  const points: DataPoint[] = [];
  for (const line of lines) {
    let parsed: EmfLine;
    try {
      parsed = JSON.parse(line) as EmfLine;
    } catch {
      continue;
    }
    const aws = parsed._aws;
    if (!aws) continue;
    for (const directive of aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((key) => [key, String(parsed[key])]));
        for (const metric of directive.Metrics) {
          // A metric's value, or an array of values (each a data point of its own).
          const raw = parsed[metric.Name];
          for (const value of Array.isArray(raw) ? (raw as unknown[]) : [raw]) {
            if (typeof value === 'number') points.push({ namespace: directive.Namespace, name: metric.Name, dimensions, value, timestamp: aws.Timestamp });
          }
        }
      }
    }
  }
  return points;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

interface MetricStat {
  readonly Namespace: string;
  readonly MetricName: string;
  readonly Dimensions?: ReadonlyArray<{ Name: string; Value: unknown }>;
}

/**
 * The state an AWS::CloudWatch::Alarm of the synthesized template would be in at `now` over
 * `points`. Handles one metric, or a sum expression (`m0 + m1 + …`) over metrics; Sum statistics.
 * Throws for what it cannot evaluate (a metric it does not get data for is just missing data).
 */
export function evaluateAlarm(alarm: TemplateResource, points: readonly DataPoint[], now: number): AlarmState {
  const p = (alarm.Properties ?? {}) as Record<string, unknown>;
  const periods = Number(p.EvaluationPeriods);
  const toAlarm = Number(p.DatapointsToAlarm ?? periods);
  const threshold = Number(p.Threshold);
  const missing = String(p.TreatMissingData ?? 'missing');
  let periodMs: number;
  let series: (from: number, to: number) => number | null;
  if (p.MetricName !== undefined) {
    periodMs = Number(p.Period) * 1000;
    const stat = { Namespace: String(p.Namespace), MetricName: String(p.MetricName), Dimensions: p.Dimensions as MetricStat['Dimensions'] };
    series = (from, to) => sum(matching(points, stat), from, to);
  } else {
    const queries = p.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: MetricStat; Period: number; Stat: string } }>;
    const expression = queries.find((q) => q.Expression !== undefined);
    if (!expression || !/^\s*\w+(\s*\+\s*\w+)*\s*$/.test(expression.Expression!)) throw new Error('only a sum of metrics can be evaluated');
    const ids = expression.Expression!.split('+').map((id) => id.trim());
    const stats = ids.map((id) => queries.find((q) => q.Id === id)?.MetricStat);
    if (stats.some((s) => s === undefined || s.Stat !== 'Sum')) throw new Error('only Sum statistics can be evaluated');
    periodMs = stats[0]!.Period * 1000;
    series = (from, to) => {
      const values = stats.map((s) => sum(matching(points, s!.Metric), from, to));
      // Metric math leaves out a term with no data; no term at all is no data.
      return values.every((v) => v === null) ? null : values.reduce<number>((a, v) => a + (v ?? 0), 0);
    };
  }
  // The most recent periods, the last ending now, as CloudWatch evaluates them.
  const end = now;
  const values = Array.from({ length: periods }, (_, i) => series(end - (periods - i) * periodMs, end - (periods - i - 1) * periodMs));
  if (values.every((v) => v === null) && (missing === 'missing' || missing === 'ignore')) return 'INSUFFICIENT_DATA';
  const breaches = values.filter((v) => (v === null ? missing === 'breaching' : compare(String(p.ComparisonOperator), v, threshold))).length;
  return breaches >= toAlarm ? 'ALARM' : 'OK';
}

function matching(points: readonly DataPoint[], stat: MetricStat): DataPoint[] {
  const wanted = Object.fromEntries((stat.Dimensions ?? []).map((d) => [d.Name, String(d.Value)]));
  return points.filter(
    (point) =>
      point.namespace === stat.Namespace &&
      point.name === stat.MetricName &&
      Object.keys(point.dimensions).length === Object.keys(wanted).length &&
      Object.entries(wanted).every(([k, v]) => point.dimensions[k] === v),
  );
}

function sum(points: readonly DataPoint[], from: number, to: number): number | null {
  const inside = points.filter((point) => point.timestamp >= from && point.timestamp < to);
  return inside.length === 0 ? null : inside.reduce((a, point) => a + point.value, 0);
}

function compare(operator: string, value: number, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
    default:
      throw new Error(`comparison ${operator} cannot be evaluated`);
  }
}

/** A metric a dashboard graphs: what a widget asks CloudWatch for. */
export interface GraphedMetric {
  readonly widget: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * The metrics a dashboard body (resolved, as CloudFormation gives it to CloudWatch) graphs, in
 * the form CloudWatch reads them: `[namespace, name, dimension, value, …, {options}]`; math
 * expressions are skipped (the metrics they use are listed beside them).
 */
export function graphedMetrics(body: string): GraphedMetric[] {
  const { widgets } = JSON.parse(body) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> };
  return widgets.flatMap(({ properties }) =>
    (properties.metrics ?? []).flatMap((metric) => {
      const fields = metric.filter((part): part is string => typeof part === 'string');
      if (fields.length < 2) return [];
      const [namespace, name, ...pairs] = fields;
      const dimensions = Object.fromEntries(pairs.flatMap((key, i) => (i % 2 === 0 ? [[key, pairs[i + 1] ?? '']] : [])));
      return [{ widget: properties.title ?? '', namespace: namespace!, name: name!, dimensions }];
    }),
  );
}
