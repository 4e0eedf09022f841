/** SwitchMaster: the promoted replica is now the master of record: `+switch-master`, the event clients act on. */
import { switchMasterEvent } from './core/events.ts';
import type { FailoverState, SwitchOutput } from './core/workflow-state.ts';
import { awsDeps } from './runtime/aws.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { requireSelection } from './runtime/require.ts';

export async function run(state: FailoverState, deps: StepDeps): Promise<SwitchOutput> {
  const { promoted } = requireSelection(state);
  await deps.publisher.publish([switchMasterEvent(state.master, promoted, failoverEventContext(state, deps))]);
  return { oldMaster: { host: state.master.host, port: state.master.port }, newMaster: promoted, switchedAt: deps.now() };
}

export const handler = (state: FailoverState) => run(state, awsDeps());
