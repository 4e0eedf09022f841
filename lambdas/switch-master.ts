/** SwitchMaster: the promoted replica is now the master of record: `+switch-master`, the event clients act on. */
import { switchMasterEvent } from './core/events.ts';
import type { FailoverState, SwitchOutput } from './core/workflow-state.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { endpointFromEnv } from './runtime/aws/endpoint.ts';
import { storeFromEnv } from './runtime/aws/table.ts';
import { awsMetrics } from './runtime/aws/metrics.ts';
import { movePrimary } from './runtime/endpoint.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { requireSelection } from './runtime/require.ts';
import { failoverTimeline, type FailoverTimeline } from './core/failover-metrics.ts';
import { perGroup } from './adapters/metrics.ts';
import type { Metrics } from './core/interfaces.ts';

export async function run(state: FailoverState, deps: Pick<StepDeps, 'publisher' | 'now' | 'store' | 'endpoint' | 'metrics'>): Promise<SwitchOutput> {
  const { promoted } = requireSelection(state);
  const now = deps.now();
  // The name resolves to the new master before +switch-master says so. WaitPromotion normally moved
  // it; if it could not, this step fails when Route 53 does, and the workflow retries it.
  const moved = state.promotion?.dnsUpdated === true ? null : await movePrimary(deps.endpoint, state, promoted, failoverEventContext(state, deps));
  if (deps.store) {
    // The table first: whoever reacts to +switch-master and asks for the master must get the new one.
    await deps.store.completeFailover(state.master.name, { epoch: state.epoch, newMaster: promoted, now });
    // Sentinel's view after a switch: the old master is a replica to convert when it returns; the promoted one is not a replica.
    await deps.store.upsertReplicas(state.master.name, [{ host: state.master.host, port: state.master.port }]);
    await deps.store.removeReplica(state.master.name, promoted);
  }
  await deps.publisher.publish([...(moved ? [moved] : []), switchMasterEvent(state.master, promoted, failoverEventContext(state, deps))]);
  const timeline = failoverTimeline(state, now);
  if (deps.metrics) writeTimeline(deps.metrics, state.master.name, timeline);
  return { oldMaster: { host: state.master.host, port: state.master.port }, newMaster: promoted, switchedAt: now, timeline };
}

function writeTimeline(metrics: Metrics, master: string, timeline: FailoverTimeline): void {
  metrics.measure('FailoverDuration', perGroup(master), timeline.durationMs);
  if (timeline.detectionMs !== null) metrics.measure('DetectionTime', perGroup(master), timeline.detectionMs);
  for (const [phase, ms] of Object.entries(timeline.phases)) metrics.measure('PhaseDuration', [{ Master: master, Phase: phase }, { Phase: phase }], ms);
}

export const handler = stepHandler(run, () =>
  stepDeps({ publisher: eventsFromEnv().publisher, store: storeFromEnv(), endpoint: endpointFromEnv(), metrics: awsMetrics }),
);
