/** Publishes master-level phase events: FailoverTriggered, and the abort states. */
import { masterEvent, SENTINEL_EVENTS, type SentinelEventName } from './core/events.ts';
import { rejectionsText } from './core/selection.ts';
import type { AnnounceInput } from './core/workflow-state.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { WorkflowInputError } from './core/errors.ts';

export async function run(input: AnnounceInput, deps: Pick<StepDeps, 'publisher' | 'now'>): Promise<void> {
  const context = { ...failoverEventContext(input, deps), ...(input.rejected && { reason: `no replica qualifies: ${rejectionsText(input.rejected)}` }) };
  const events = input.events.map((name) => masterEvent(eventName(name), input.master, context));
  await deps.publisher.publish(events);
}

function eventName(name: string): SentinelEventName {
  if (!(SENTINEL_EVENTS as readonly string[]).includes(name)) throw new WorkflowInputError(`unknown Sentinel event ${JSON.stringify(name)}`);
  return name as SentinelEventName;
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher }));
