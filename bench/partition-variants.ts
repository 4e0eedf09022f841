/**
 * What a partition trial (bench/partition.ts) runs, and what the benchmark compares: the
 * failover systems, the scenarios (who is cut off from whom), and the variants each scenario
 * sets side by side, with the names their columns carry.
 */

/** Ours locally (three voters in one process), ours as deployed (the simulation, a probe per zone), or three redis-sentinel. */
export type PartitionSystem = 'redis-failover' | 'redis-failover-aws' | 'sentinel';

/**
 * Who is cut off from whom:
 * - `master-side`: the master and a writer, from the replicas and the failover system;
 * - `voters-only`: the master from the failover system only (its replicas and its writer still
 *   reach it: a failover there is a false one);
 * - `minority-voter`: the master from one voter (one sentinel, one probe's zone) only.
 */
export type PartitionScenario = 'master-side' | 'voters-only' | 'minority-voter';
export const PARTITION_SCENARIOS: readonly PartitionScenario[] = ['master-side', 'voters-only', 'minority-voter'];

/** One column of the partition benchmark: a system with our opt-in rules on or off. */
export interface PartitionVariant {
  readonly system: PartitionSystem;
  /** Ours only: the fencing the orchestrator manages (`fencing: true`). */
  readonly managedFencing?: boolean;
  /** Ours only: the witness rule (`witnesses: true`). */
  readonly witnesses?: boolean;
}

export function variantName(variant: PartitionVariant): string {
  if (variant.system === 'sentinel') return 'redis-sentinel 7';
  const rules = [variant.managedFencing && 'fencing on', variant.witnesses && 'witnesses on'].filter(Boolean);
  return [variant.system === 'redis-failover-aws' ? 'redis-failover (aws)' : 'redis-failover', ...rules].join(', ');
}

/**
 * The columns of a scenario: ours plain and with the rule meant for that scenario, and Sentinel.
 * One voter of the local runtime cannot be cut off alone (its voters share one process), so the
 * minority scenario runs ours as deployed only.
 */
export function scenarioVariants(scenario: PartitionScenario, runtime: 'local' | 'aws'): PartitionVariant[] {
  const ours = runtime === 'aws' ? 'redis-failover-aws' : 'redis-failover';
  if (scenario === 'master-side') return [{ system: ours }, { system: ours, managedFencing: true }, { system: 'sentinel' }];
  if (scenario === 'voters-only') return [{ system: ours }, { system: ours, witnesses: true }, { system: 'sentinel' }];
  return [{ system: 'redis-failover-aws' }, { system: 'sentinel' }];
}
