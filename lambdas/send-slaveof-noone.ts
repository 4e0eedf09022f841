/** SendSlaveofNoOne: turn the selected replica into a master, as Sentinel does, once no other replica acts as one. */
import { replicaEvent } from './core/events.ts';
import type { FailoverState, PromotionOutput } from './core/workflow-state.ts';
import { withRedis } from './adapters/redis.ts';
import type { RedisLinkOptions } from './core/interfaces.ts';
import type { Address } from './core/types.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { linkOptionsFromEnv } from './runtime/aws/redis.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { storeFromEnv } from './runtime/aws/table.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { pollWithin } from './runtime/poll.ts';
import { requireSelection } from './runtime/require.ts';
import { RedisUnreachableError } from './core/errors.ts';

export async function run(state: FailoverState, deps: StepDeps): Promise<PromotionOutput> {
  const { promoted, promotedRunId, selectedAt } = requireSelection(state);
  const options = await deps.linkOptions(state.master.name);
  // Written before the command: if this leader dies right after sending, the next epoch knows whom it promoted.
  await deps.store?.recordPromotion(state.master.name, { epoch: state.epoch, promoted, runId: promotedRunId });
  const strays = (state.selection?.others ?? []).filter((target) => target.role === 'stray-master');
  await Promise.all(strays.map((stray) => fence(stray, promoted, options, state, deps)));
  // Sentinel keeps trying while the replica is unreachable, until failover-timeout.
  const outcome = await pollWithin(deps, selectedAt + state.settings.failoverTimeoutMs, async () => {
    try {
      return await withRedis(promoted, options, async (link) => {
        const info = await link.info();
        // Restarted since selection: another server at that address, maybe empty. Never promote it; the epoch times out.
        if (promotedRunId !== null && info.runId !== null && info.runId !== promotedRunId) return undefined;
        // Idempotent: a retried step must not send again (CLIENT KILL would drop clients already on the new master).
        if (info.role !== 'master') await link.promote();
        return true;
      });
    } catch (error) {
      if (error instanceof RedisUnreachableError) return undefined;
      throw error;
    }
  });
  if (outcome.kind !== 'done') {
    return { sent: false, sentAt: null, confirmed: false, confirmedAt: null, timedOut: outcome.kind === 'expired' };
  }
  const sentAt = deps.now();
  await deps.publisher.publish([replicaEvent('+failover-state-wait-promotion', promoted, state.master, failoverEventContext(state, deps))]);
  return { sent: true, sentAt, confirmed: false, confirmedAt: null, timedOut: false };
}

/**
 * A known replica reporting role:master would take writes beside the new master until
 * ReconfSlaves reaches it, and those writes would be lost. Pointed at the chosen replica before
 * the promotion, it turns read-only at once; it syncs once the promotion lands (Redis retries the
 * link every second), and ReconfSlaves does not wait for that. Best effort: one that went away
 * is left to ReconfSlaves.
 */
async function fence(stray: Address, promoted: Address, options: RedisLinkOptions, state: FailoverState, deps: StepDeps): Promise<void> {
  try {
    const fenced = await withRedis(stray, options, async (link) => {
      // Idempotent: a retried step finds it a replica already.
      if ((await link.info()).role !== 'master') return false;
      await link.replicate(promoted);
      return true;
    });
    if (fenced) await deps.publisher.publish([replicaEvent('+convert-to-slave', stray, state.master, failoverEventContext(state, deps))]);
  } catch (error) {
    if (!(error instanceof RedisUnreachableError)) throw error;
  }
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher, store: storeFromEnv(), linkOptions: linkOptionsFromEnv() }));
