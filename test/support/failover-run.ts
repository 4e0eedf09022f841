/**
 * Two ways a test runs one failover on real servers. `runWorkflowOnce` runs the synthesized
 * workflow alone, as a leader would start it (input from the config's replicas): the subject is
 * the workflow. `requestOnce` asks the failover request service (lambdas/runtime/failover-request.ts)
 * on a table of its own, as `redis-failover failover` does with no orchestrator running.
 */
import type { MasterRecord } from '../../lambdas/core/store.ts';
import type { EventPublisher } from '../../lambdas/core/interfaces.ts';
import { withRedis } from '../../lambdas/adapters/redis.ts';
import { settingsOf, type MasterConfig } from '../../lambdas/core/config.ts';
import type { Address, FailoverInput } from '../../lambdas/core/types.ts';
import type { FailoverRequestOptions } from '../../lambdas/runtime/failover-request.ts';
import { LocalOrchestrator } from '../../local/orchestrator.ts';
import { localStepDeps } from '../../local/step-deps.ts';
import { LocalWorkflow, type LocalExecution, type StepHooks } from '../../local/workflow-runner.ts';

export interface WorkflowRunOptions {
  readonly master: MasterConfig;
  readonly publisher: EventPublisher;
  readonly hooks?: StepHooks;
  /** The master's last replication offset, as a leader passes it (the lag gate's reference). @default - none */
  readonly masterOffset?: number;
}

/** The workflow from its first state, for the master's known replicas; a master that does not answer counts as down from now. */
export async function runWorkflowOnce(options: WorkflowRunOptions): Promise<{ input: FailoverInput; execution: LocalExecution }> {
  const { master } = options;
  const workflow = await LocalWorkflow.load();
  const deps = localStepDeps([master], options.publisher);
  const reachable = await withRedis(master, await deps.linkOptions(master.name), (link) => link.ping()).then(
    (pong) => pong,
    () => false,
  );
  const now = Date.now();
  const input: FailoverInput = {
    master: { name: master.name, host: master.host, port: master.port },
    epoch: 1,
    settings: settingsOf(master),
    replicas: master.knownReplicas.map((r): Address => ({ host: r.host, port: r.port })),
    startedAt: now,
    masterDownSince: reachable ? null : now,
    manual: true,
    ...(options.masterOffset !== undefined && { masterOffset: options.masterOffset }),
  };
  return { input, execution: await workflow.run(input, deps, options.hooks) };
}

export interface RequestOnceOptions extends FailoverRequestOptions {
  readonly master: MasterConfig;
  readonly publisher: EventPublisher;
}

/** SENTINEL FAILOVER through the request service, then the execution it started, to its end, and the record it left. */
export async function requestOnce(options: RequestOnceOptions): Promise<{ execution: LocalExecution; record: MasterRecord }> {
  const { master, publisher, ...request } = options;
  const oneShot = await LocalOrchestrator.start({ config: { probes: 1, masters: [master] }, publisher, watch: false });
  try {
    const started = await oneShot.failover(master.name, request);
    const execution = await oneShot.executions.get(started.execution)!;
    return { execution, record: (await oneShot.store.getMaster(master.name))! };
  } finally {
    await oneShot.stop();
  }
}
