/** SendSlaveofNoOne: turn the selected replica into a master, as Sentinel does. */
import { replicaEvent } from './core/events.ts';
import type { FailoverState, PromotionOutput } from './core/workflow-state.ts';
import { withRedis, RedisUnreachableError } from './adapters/redis.ts';
import { awsDeps } from './runtime/aws.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { pollWithin } from './runtime/poll.ts';
import { requireSelection } from './runtime/require.ts';

export async function run(state: FailoverState, deps: StepDeps): Promise<PromotionOutput> {
  const { promoted, promotedRunId, selectedAt } = requireSelection(state);
  const options = await deps.linkOptions(state.master.name);
  // Written before the command: if this leader dies right after sending, the next epoch knows whom it promoted.
  await deps.store?.recordPromotion(state.master.name, { epoch: state.epoch, promoted, runId: promotedRunId });
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

export const handler = (state: FailoverState) => run(state, awsDeps());
