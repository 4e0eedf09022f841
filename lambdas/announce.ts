/**
 * Publishes master-level phase events: FailoverTriggered, the abort states, and RequestApproval's
 * `+failover-approval-requested` (with the task token the workflow then waits on).
 */
import { approvalEvent, masterEvent, replicaEvent, SENTINEL_EVENTS, type SentinelEventName } from './core/events.ts';
import { rejectionsText } from './core/selection.ts';
import type { AnnounceInput } from './core/workflow-state.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { WorkflowInputError } from './core/errors.ts';

export async function run(input: AnnounceInput, deps: Pick<StepDeps, 'publisher' | 'now'>): Promise<void> {
  const reason = input.rejected ? `no replica qualifies: ${rejectionsText(input.rejected)}` : (input.reason ?? undefined);
  const context = { ...failoverEventContext(input, deps), ...(reason !== undefined && { reason }) };
  const events = input.events.map((name) => {
    if (name === '+failover-approval-requested' && input.approval) return approvalEvent(input.master, input.approval, context);
    // Sentinel says this one about the replica (SelectSlave says it at once when no approval is asked).
    if (name === '+failover-state-send-slaveof-noone' && input.candidate) return replicaEvent(name, input.candidate, input.master, context);
    return masterEvent(eventName(name), input.master, context);
  });
  await deps.publisher.publish(events);
}

function eventName(name: string): SentinelEventName {
  if (!(SENTINEL_EVENTS as readonly string[]).includes(name)) throw new WorkflowInputError(`unknown Sentinel event ${JSON.stringify(name)}`);
  return name as SentinelEventName;
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher }));
