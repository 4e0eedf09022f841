/** The abort states: publish Sentinel's abort event and release the failover lease (the 2 × failover-timeout block stays). */
import type { AnnounceInput } from './core/workflow-state.ts';
import { run as announce } from './announce.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { storeFromEnv } from './runtime/aws/table.ts';
import type { StepDeps } from './runtime/deps.ts';

export async function run(input: AnnounceInput, deps: Pick<StepDeps, 'publisher' | 'now' | 'store'>): Promise<void> {
  await deps.store?.abortFailover(input.master.name, { epoch: input.epoch });
  await announce(input, deps);
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher, store: storeFromEnv() }));
