/** The abort states: publish Sentinel's abort event and release the failover lease (the 2 × failover-timeout block stays). */
import type { AnnounceInput } from './core/workflow-state.ts';
import { run as announce } from './announce.ts';
import { awsDeps } from './runtime/aws.ts';
import type { StepDeps } from './runtime/deps.ts';

export async function run(input: AnnounceInput, deps: StepDeps): Promise<void> {
  await deps.store?.abortFailover(input.master.name, { epoch: input.epoch });
  await announce(input, deps);
}

export const handler = (input: AnnounceInput) => run(input, awsDeps());
