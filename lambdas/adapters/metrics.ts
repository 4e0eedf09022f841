/**
 * Metrics in CloudWatch's embedded metric format: a JSON line on stdout that CloudWatch Logs turns
 * into metric data points, with no API call and no client (the probes have no route to the
 * CloudWatch API to spare). Counts accumulate between flushes; each flush writes one line per set
 * of dimensions, every metric of the line under each of its dimension sets.
 */

/** The namespace every metric of the stack is in (lib/monitoring.ts reads the same). */
export const METRICS_NAMESPACE = 'RedisFailover';

/** What the voters and steps count; one implementation per runtime (EMF on AWS, none locally). */
export interface Metrics {
  /** Adds `n` to the metric `name` under `dimensions` (`{Voter, Master}`); also counted per voter alone when `Voter` is given. */
  count(name: string, dimensions: Readonly<Record<string, string>>, n?: number): void;
  /** Writes what was counted since the last flush. */
  flush(): void;
}

export const NO_METRICS: Metrics = { count: () => undefined, flush: () => undefined };

export class EmfMetrics implements Metrics {
  /** Dimension key (JSON) → metric → sum. */
  readonly #counts = new Map<string, Map<string, number>>();

  constructor(
    private readonly write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
    private readonly now: () => number = () => Date.now(),
  ) {}

  count(name: string, dimensions: Readonly<Record<string, string>>, n = 1): void {
    const sets = [dimensions, ...(dimensions.Voter !== undefined && Object.keys(dimensions).length > 1 ? [{ Voter: dimensions.Voter }] : [])];
    for (const set of sets) {
      const key = JSON.stringify(Object.entries(set).sort(([a], [b]) => a.localeCompare(b)));
      const metrics = this.#counts.get(key) ?? new Map<string, number>();
      metrics.set(name, (metrics.get(name) ?? 0) + n);
      this.#counts.set(key, metrics);
    }
  }

  flush(): void {
    const timestamp = this.now();
    for (const [key, metrics] of this.#counts) {
      const dimensions = Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
      this.write(
        JSON.stringify({
          _aws: {
            Timestamp: timestamp,
            CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [...metrics.keys()].map((Name) => ({ Name, Unit: 'Count' })) }],
          },
          ...dimensions,
          ...Object.fromEntries(metrics),
        }),
      );
    }
    this.#counts.clear();
  }
}
