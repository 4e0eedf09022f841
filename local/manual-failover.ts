/**
 * `SENTINEL FAILOVER <name>` for the local runtime: find the master's replicas, then run the
 * failover workflow once, without asking any voter.
 */
import type { EventPublisher } from '../lambdas/adapters/publisher.ts';
import { withRedis, type RedisLinkOptions } from '../lambdas/adapters/redis.ts';
import { addressKey, distinctAddresses } from '../lambdas/core/address.ts';
import { selectReplica } from '../lambdas/core/selection.ts';
import { observeReplica } from '../lambdas/runtime/observe.ts';
import { settingsOf, type MasterConfig } from '../lambdas/core/config.ts';
import type { Address, FailoverInput, PromotedAddress } from '../lambdas/core/types.ts';
import { handOver } from '../lambdas/runtime/handover.ts';
import { localStepDeps } from './step-deps.ts';
import { LocalWorkflow, type LocalExecution, type StepHooks } from './workflow-runner.ts';
import { RedisAuthError, RedisUnreachableError, HandoverAbortedError } from '../lambdas/core/errors.ts';

/** A manual failover that cannot start; nothing was changed. */
export class FailoverRefusedError extends Error {
  override name = 'FailoverRefusedError';
}

export interface Discovery {
  readonly replicas: readonly Address[];
  /** False when the master did not answer: the failover then relies on knownReplicas. */
  readonly masterReachable: boolean;
}

/** The master's replicas from its INFO, plus the remembered ones (Sentinel's known-replica). */
export async function discoverReplicas(master: MasterConfig, options: RedisLinkOptions): Promise<Discovery> {
  try {
    const info = await withRedis(master, options, (link) => link.info());
    if (info.role !== 'master') {
      throw new FailoverRefusedError(
        `${master.name}: ${master.host}:${master.port} reports role:${info.role}, not master; point the config at the current master`,
      );
    }
    return { replicas: distinctAddresses([...info.connectedReplicas, ...master.knownReplicas], [master]), masterReachable: true };
  } catch (error) {
    if (error instanceof RedisAuthError) {
      throw new FailoverRefusedError(`${master.name}: ${error.message}; check the auth of master ${master.name} in the config`);
    }
    if (!(error instanceof RedisUnreachableError)) throw error;
    return { replicas: distinctAddresses(master.knownReplicas, [master]), masterReachable: false };
  }
}

export interface ManualFailoverOptions {
  readonly master: MasterConfig;
  readonly publisher: EventPublisher;
  /** @default 1 */
  readonly epoch?: number;
  /** Told about discovery before the workflow starts. */
  readonly onDiscovery?: (discovery: Discovery) => void;
  readonly hooks?: StepHooks;
  /**
   * Zero-loss switchover of a live master (beyond Sentinel 7.0): the master pauses writes,
   * the chosen replica catches up, they swap roles, then the workflow re-points the rest.
   */
  readonly coordinated?: boolean;
  /** How long the master may pause writes for the replica to catch up. @default DEFAULT_COORDINATION_TIMEOUT_MS (5000) */
  readonly coordinationTimeoutMs?: number;
  /** Called with the chosen replica just before the handover (fault injection in tests). */
  readonly beforeHandover?: (target: Address) => Promise<void> | void;
}

export interface ManualFailoverResult {
  readonly input: FailoverInput;
  readonly execution: LocalExecution;
}

export async function manualFailover(options: ManualFailoverOptions): Promise<ManualFailoverResult> {
  const { master } = options;
  const workflow = await LocalWorkflow.load();
  const deps = localStepDeps([master], options.publisher);
  const linkOptions = await deps.linkOptions(master.name);
  const discovery = await discoverReplicas(master, linkOptions);
  options.onDiscovery?.(discovery);
  const now = Date.now();
  const input: FailoverInput = {
    master: { name: master.name, host: master.host, port: master.port },
    epoch: options.epoch ?? 1,
    settings: settingsOf(master),
    replicas: discovery.replicas,
    startedAt: now,
    // An unreachable master counts as down from now, which is what Sentinel's link-down filter needs.
    masterDownSince: discovery.masterReachable ? null : now,
    manual: true,
  };
  const resumePromoted = options.coordinated ? await coordinate(master, input, linkOptions, options) : null;
  const execution = await workflow.run({ ...input, resumePromoted }, deps, options.hooks);
  return { input, execution };
}

/**
 * Picks the replica as SelectSlave would and has the master hand over to it (Redis' FAILOVER).
 * The workflow then resumes from that promoted replica.
 */
async function coordinate(master: MasterConfig, input: FailoverInput, linkOptions: RedisLinkOptions, options: ManualFailoverOptions): Promise<PromotedAddress> {
  if (input.masterDownSince !== null) throw new FailoverRefusedError(`${master.name}: --coordinated needs a reachable master; ${addressKey(master)} is not`);
  const observations = await Promise.all(input.replicas.map((replica) => observeReplica(replica, linkOptions)));
  const { chosen, rejected } = selectReplica(observations, { now: Date.now(), masterDownSince: null, downAfterMs: master.downAfterMs });
  if (!chosen) {
    throw new HandoverAbortedError(`${master.name}: no replica qualifies for a coordinated failover (${rejected.map((r) => `${addressKey(r.address)} ${r.detail}`).join('; ') || 'no replicas'})`);
  }
  await options.beforeHandover?.(chosen.address);
  const target = { ...chosen.address, runId: chosen.info?.runId ?? null };
  return handOver({ master, target, linkOptions, timeoutMs: options.coordinationTimeoutMs });
}
