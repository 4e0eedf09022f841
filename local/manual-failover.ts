/**
 * `SENTINEL FAILOVER <name>` for the local runtime: find the master's replicas, then run the
 * failover workflow once, without asking any voter.
 */
import type { EventPublisher } from '../lambdas/adapters/publisher.ts';
import { RedisAuthError, RedisUnreachableError, withRedis, type RedisLinkOptions } from '../lambdas/adapters/redis.ts';
import { addressKey, distinctAddresses } from '../lambdas/core/address.ts';
import { followsMaster } from '../lambdas/core/info.ts';
import { selectReplica } from '../lambdas/core/selection.ts';
import { waitFor } from '../lambdas/core/wait.ts';
import { observeReplica } from '../lambdas/runtime/observe.ts';
import { settingsOf, type MasterConfig } from '../lambdas/core/config.ts';
import type { Address, FailoverInput } from '../lambdas/core/types.ts';
import { localStepDeps } from './step-deps.ts';
import { LocalWorkflow, type LocalExecution, type StepHooks } from './workflow-runner.ts';

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
  /** How long the master may pause writes for the replica to catch up. @default 5000 */
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
  const resumePromoted = options.coordinated ? await handOver(master, input, linkOptions, options) : null;
  const execution = await workflow.run({ ...input, resumePromoted }, deps, options.hooks);
  return { input, execution };
}

/** The coordinated handover did not complete; the old master was left (or is back) as it was. */
export class HandoverAbortedError extends Error {
  override name = 'HandoverAbortedError';
}

/**
 * Picks the replica as SelectSlave would, asks the master to hand over to it with Redis'
 * FAILOVER, and waits for the swap. The workflow then resumes from that promoted replica.
 */
async function handOver(master: MasterConfig, input: FailoverInput, linkOptions: RedisLinkOptions, options: ManualFailoverOptions): Promise<Address> {
  if (input.masterDownSince !== null) throw new FailoverRefusedError(`${master.name}: --coordinated needs a reachable master; ${addressKey(master)} is not`);
  const observations = await Promise.all(input.replicas.map((replica) => observeReplica(replica, linkOptions)));
  const { chosen, rejected } = selectReplica(observations, { now: Date.now(), masterDownSince: null, downAfterMs: master.downAfterMs });
  if (!chosen) {
    throw new HandoverAbortedError(`${master.name}: no replica qualifies for a coordinated failover (${rejected.map((r) => `${addressKey(r.address)} ${r.detail}`).join('; ') || 'no replicas'})`);
  }
  const target = chosen.address;
  await options.beforeHandover?.(target);
  const timeoutMs = options.coordinationTimeoutMs ?? 5000;
  await withRedis(master, linkOptions, (link) => link.handOver(target, timeoutMs));
  // Redis aborts by itself past the timeout and resumes writes as master: wait a little longer than that.
  const swapped = await waitFor(
    async () => {
      const info = await withRedis(master, linkOptions, (link) => link.info()).catch(() => null);
      // Done only when the master follows the target, the handover is over, and the target says it leads.
      if (info && followsMaster(info, target) && info.failoverState !== 'failover-in-progress') {
        const promoted = await withRedis(target, linkOptions, (link) => link.info()).catch(() => null);
        return promoted?.role === 'master' ? 'swapped' : undefined;
      }
      return info?.role === 'master' && info.failoverState === 'no-failover' ? 'aborted' : undefined;
    },
    { timeoutMs: timeoutMs + 5000, intervalMs: 20, what: `${addressKey(master)} to hand over to ${addressKey(target)}` },
  ).catch(() => 'timeout' as const);
  if (swapped !== 'swapped') {
    throw new HandoverAbortedError(`${master.name}: coordinated failover to ${addressKey(target)} aborted (${swapped}); ${addressKey(master)} is still the master`);
  }
  return target;
}
