/** SwitchMaster: the promoted replica is now the master of record: `+switch-master`, the event clients act on. */
import { switchMasterEvent } from './core/events.ts';
import type { FailoverState, SwitchOutput } from './core/workflow-state.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { endpointFromEnv } from './runtime/aws/endpoint.ts';
import { storeFromEnv } from './runtime/aws/table.ts';
import { movePrimary } from './runtime/endpoint.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { requireSelection } from './runtime/require.ts';

export async function run(state: FailoverState, deps: Pick<StepDeps, 'publisher' | 'now' | 'store' | 'endpoint'>): Promise<SwitchOutput> {
  const { promoted } = requireSelection(state);
  const now = deps.now();
  // The name resolves to the new master before +switch-master says so. WaitPromotion normally moved
  // it; if it could not, this step fails when Route 53 does, and the workflow retries it.
  const moved = state.promotion?.dnsUpdated === true ? null : await movePrimary(deps.endpoint, state, promoted, failoverEventContext(state, deps));
  if (deps.store) {
    // The table first: whoever reacts to +switch-master and asks for the master must get the new one.
    await deps.store.completeFailover(state.master.name, { epoch: state.epoch, newMaster: promoted, now });
    // Sentinel's view after a switch: the old master is a replica to convert when it returns; the promoted one is not a replica.
    await deps.store.upsertReplicas(state.master.name, [{ host: state.master.host, port: state.master.port, runId: null, priority: 100, offset: 0, lastSeenAt: now }]);
    await deps.store.removeReplica(state.master.name, promoted);
  }
  await deps.publisher.publish([...(moved ? [moved] : []), switchMasterEvent(state.master, promoted, failoverEventContext(state, deps))]);
  return { oldMaster: { host: state.master.host, port: state.master.port }, newMaster: promoted, switchedAt: now };
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher, store: storeFromEnv(), endpoint: endpointFromEnv() }));
