/** WaitPromotion: wait until the selected replica's INFO says role:master, within failover-timeout. */
import { masterEvent, replicaEvent } from './core/events.ts';
import type { FailoverState, PromotionOutput } from './core/workflow-state.ts';
import { PollingLink } from './adapters/redis.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { linkOptionsFromEnv } from './runtime/aws/redis.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { messageOf } from './core/errors.ts';
import { endpointFromEnv } from './runtime/aws/endpoint.ts';
import { awsLogger } from './runtime/aws/log.ts';
import { storeFromEnv } from './runtime/aws/table.ts';
import { movePrimary } from './runtime/endpoint.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { pollWithin } from './runtime/poll.ts';
import { requirePromotionSent, requireSelection } from './runtime/require.ts';

export async function run(state: FailoverState, deps: StepDeps): Promise<PromotionOutput> {
  const { promoted, promotedRunId } = requireSelection(state);
  const promotion = requirePromotionSent(state);
  const link = new PollingLink(promoted, await deps.linkOptions(state.master.name));
  const deadline = promotion.sentAt + state.settings.failoverTimeoutMs;
  const outcome = await pollWithin(deps, deadline, async () => {
    const role = await link.use(async (l) => (await l.info()).role);
    return role === 'master' ? true : undefined;
  }).finally(() => link.close());
  if (outcome.kind === 'expired') return { ...promotion, timedOut: true };
  if (outcome.kind === 'again') return promotion;

  const confirmedAt = deps.now();
  // Before +promoted-slave: whoever hears it and asks for the master gets the promoted replica.
  await deps.store?.recordPromotion(state.master.name, { epoch: state.epoch, promoted, runId: promotedRunId, confirmedAt });
  const context = failoverEventContext(state, deps);
  // Applications that find the master by name reach the promoted replica from here on. Not worth
  // holding the failover for: SwitchMaster tries again, and the voters repair it later.
  const moved = await movePrimary(deps.endpoint, state, promoted, context).catch((error: unknown) => {
    awsLogger.warn('the primary DNS record was not updated at the promotion: SwitchMaster tries again', {
      master: state.master.name,
      epoch: state.epoch,
      execution: context.execution,
      error: messageOf(error),
    });
    return false as const;
  });
  await deps.publisher.publish([
    ...(moved ? [moved] : []),
    replicaEvent('+promoted-slave', promoted, state.master, context),
    masterEvent('+failover-state-reconf-slaves', state.master, context),
  ]);
  return { ...promotion, confirmed: true, confirmedAt, dnsUpdated: moved !== false && moved !== null };
}

export const handler = stepHandler(run, () =>
  stepDeps({ publisher: eventsFromEnv().publisher, store: storeFromEnv(), linkOptions: linkOptionsFromEnv(), endpoint: endpointFromEnv() }),
);
