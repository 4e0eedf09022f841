/**
 * Metrics in CloudWatch's embedded metric format: a JSON line on stdout that CloudWatch Logs turns
 * into metric data points, with no API call and no client (the probes have no route to the
 * CloudWatch API to spare). Counts add up between flushes, measures keep every value; each flush
 * writes one line per set of dimensions with every metric recorded under it.
 */
import type { Dimensions, Metrics } from '../core/interfaces.ts';

/** The namespace every metric of the stack is in (lib/monitoring.ts reads the same). */
export const METRICS_NAMESPACE = 'RedisFailover';

/** A voter's metric about one group, and the same per voter alone (what the heartbeat alarm watches). */
export function perVoter(voter: string, master: string): Dimensions[] {
  return [{ Voter: voter, Master: master }, { Voter: voter }];
}

/**
 * A voter's metric about one group only, for what no alarm watches: each dimension set written
 * every minute is one more custom metric on the bill (docs/cost.md).
 */
export function voterInGroup(voter: string, master: string): Dimensions[] {
  return [{ Voter: voter, Master: master }];
}

/** A failover's metric per master group, and over every group of the stack (what its alarms watch). */
export function perGroup(master: string): Dimensions[] {
  return [{ Master: master }, {}];
}

/** CloudWatch takes at most 100 values of one metric in one EMF line. */
const MAX_VALUES_PER_LINE = 100;

interface Recorded {
  readonly counts: Map<string, number>;
  readonly measures: Map<string, number[]>;
}

export class EmfMetrics implements Metrics {
  /** Dimension set (JSON of its sorted entries) → what was recorded under it. */
  readonly #recorded = new Map<string, Recorded>();

  constructor(
    private readonly write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
    private readonly now: () => number = () => Date.now(),
  ) {}

  count(name: string, sets: readonly Dimensions[], n = 1): void {
    for (const set of sets) {
      const { counts } = this.under(set);
      counts.set(name, (counts.get(name) ?? 0) + n);
    }
  }

  measure(name: string, sets: readonly Dimensions[], ms: number): void {
    for (const set of sets) {
      const { measures } = this.under(set);
      measures.set(name, [...(measures.get(name) ?? []), Math.max(0, Math.round(ms))]);
    }
  }

  flush(): void {
    const timestamp = this.now();
    for (const [key, { counts, measures }] of this.#recorded) {
      const dimensions = Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
      const longest = Math.max(1, ...[...measures.values()].map((values) => values.length));
      // The counts go in the first line; values beyond 100 a metric spill into further lines.
      for (let offset = 0; offset < longest; offset += MAX_VALUES_PER_LINE) {
        const slice = [...measures]
          .map(([name, values]) => [name, values.slice(offset, offset + MAX_VALUES_PER_LINE)] as const)
          .filter(([, values]) => values.length > 0);
        const lineCounts = offset === 0 ? [...counts] : [];
        this.write(
          JSON.stringify({
            _aws: {
              Timestamp: timestamp,
              CloudWatchMetrics: [
                {
                  Namespace: METRICS_NAMESPACE,
                  Dimensions: [Object.keys(dimensions)],
                  Metrics: [...lineCounts.map(([Name]) => ({ Name, Unit: 'Count' })), ...slice.map(([Name]) => ({ Name, Unit: 'Milliseconds' }))],
                },
              ],
            },
            ...dimensions,
            ...Object.fromEntries(lineCounts),
            ...Object.fromEntries(slice.map(([name, values]) => [name, values.length === 1 ? values[0] : values])),
          }),
        );
      }
    }
    this.#recorded.clear();
  }

  private under(set: Dimensions): Recorded {
    const key = JSON.stringify(Object.entries(set).sort(([a], [b]) => a.localeCompare(b)));
    let recorded = this.#recorded.get(key);
    if (!recorded) {
      recorded = { counts: new Map(), measures: new Map() };
      this.#recorded.set(key, recorded);
    }
    return recorded;
  }
}
