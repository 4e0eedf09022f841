/** SelectSlave: observe every known replica and pick the one to promote (Sentinel's rules). */
import { masterEvent, replicaEvent } from './core/events.ts';
import { selectionContext, selectReplica } from './core/selection.ts';
import { zoneReason } from './core/zones.ts';
import { distinctAddresses, sameAddress } from './core/address.ts';
import type { FailoverState, ReconfTarget, SelectionOutput } from './core/workflow-state.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { linkOptionsFromEnv } from './runtime/aws/redis.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { storeFromEnv } from './runtime/aws/table.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { observeReplica } from './runtime/observe.ts';
import type { PromotedAddress, ReplicaObservation } from './core/types.ts';
import { WorkflowInputError } from './core/errors.ts';

export async function run(state: FailoverState, deps: Pick<StepDeps, 'publisher' | 'now' | 'store' | 'linkOptions'>): Promise<SelectionOutput> {
  const { master } = state;
  await requireKnownToTable(state, deps);
  await deps.publisher.publish([masterEvent('+failover-state-select-slave', master, failoverEventContext(state, deps))]);

  const options = await deps.linkOptions(master.name);
  // Known replicas, once each, never the master itself.
  const replicas = distinctAddresses([...state.replicas, ...(state.resumePromoted ? [state.resumePromoted] : [])], [master]);
  const observations = await Promise.all(replicas.map((address) => observeReplica(address, options)));
  const now = deps.now();
  const result = selectReplica(observations, selectionContext(state, now));
  const resumed = resumedPromotion(state.resumePromoted ?? null, observations);
  const chosen = resumed ?? result.chosen;
  if (!chosen) {
    // AbortNoGoodSlave publishes the abort: the workflow, not this step, decides the path.
    return { found: false, promoted: null, promotedRunId: null, others: [], rejected: result.rejected, selectedAt: now, askApproval: false };
  }

  const context = failoverEventContext(state, deps);
  // With zone preference, +selected-slave says the zone it chose and why.
  const zones = state.settings.zonePreference;
  const selectedContext = zones ? { ...context, reason: zoneReason(chosen.address, master, zones) } : context;
  // With a veto to ask, nothing is sent yet: the state after the approval says send-slaveof-noone.
  const askApproval = state.settings.approval !== undefined && resumed === undefined;
  await deps.publisher.publish([
    replicaEvent('+selected-slave', chosen.address, master, selectedContext),
    ...(askApproval ? [] : [replicaEvent('+failover-state-send-slaveof-noone', chosen.address, master, context)]),
  ]);
  const others = observations
    .filter((o) => !sameAddress(o.address, chosen.address))
    .map((o): ReconfTarget => ({ ...o.address, role: o.info?.role === 'master' ? 'stray-master' : 'replica' }));
  return { found: true, promoted: chosen.address, promotedRunId: chosen.info?.runId ?? null, others, rejected: result.rejected, selectedAt: now, askApproval };
}

/**
 * The replica an earlier epoch promoted, if it still leads: role:master and, when its run_id was
 * recorded, the same run_id. A restart in between (a new run_id, often an empty dataset that its
 * rewritten config now makes a master) is not resumed: a replica holding the data is selected,
 * and the restarted server is re-pointed with the others.
 */
function resumedPromotion(promoted: PromotedAddress | null, observations: readonly ReplicaObservation[]): ReplicaObservation | undefined {
  if (!promoted) return undefined;
  const seen = observations.find((o) => sameAddress(o.address, promoted));
  if (seen?.info?.role !== 'master') return undefined;
  if (promoted.runId && seen.info.runId !== promoted.runId) return undefined;
  return seen;
}

/**
 * With a table, the input must name the master of record and replicas the table knows: a
 * forged or stale execution input must not be able to promote an arbitrary server.
 */
async function requireKnownToTable(state: FailoverState, deps: Pick<StepDeps, 'store'>): Promise<void> {
  if (!deps.store) return;
  const record = await deps.store.getMaster(state.master.name);
  if (!record) throw new WorkflowInputError(`refusing input: no master named ${JSON.stringify(state.master.name)} in the table`);
  if (!sameAddress(record, state.master)) {
    throw new WorkflowInputError(
      `refusing input: ${state.master.name} is at ${record.host}:${record.port} in the table, not ${state.master.host}:${state.master.port}`,
    );
  }
  const known = await deps.store.listReplicas(state.master.name);
  const candidates = [...state.replicas, ...(state.resumePromoted ? [state.resumePromoted] : [])];
  const stranger = candidates.find((replica) => !known.some((k) => sameAddress(k, replica)));
  if (stranger) throw new WorkflowInputError(`refusing input: ${stranger.host}:${stranger.port} is not a known replica of ${state.master.name}`);
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher, store: storeFromEnv(), linkOptions: linkOptionsFromEnv() }));
