/**
 * `SENTINEL FAILOVER <name>` for the local runtime: find the master's replicas, then run the
 * failover workflow once, without asking any voter.
 */
import type { EventPublisher } from '../lambdas/adapters/publisher.ts';
import { RedisAuthError, RedisUnreachableError, withRedis } from '../lambdas/adapters/redis.ts';
import { distinctAddresses } from '../lambdas/core/address.ts';
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
export async function discoverReplicas(master: MasterConfig): Promise<Discovery> {
  const options = master.auth ? { credentials: master.auth } : {};
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
}

export interface ManualFailoverResult {
  readonly input: FailoverInput;
  readonly execution: LocalExecution;
}

export async function manualFailover(options: ManualFailoverOptions): Promise<ManualFailoverResult> {
  const { master } = options;
  const workflow = await LocalWorkflow.load();
  const discovery = await discoverReplicas(master);
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
  const execution = await workflow.run(input, localStepDeps([master], options.publisher), options.hooks);
  return { input, execution };
}
