/**
 * FailoverEnd: `+failover-end`, preceded, when failover-timeout cut reconfiguration short,
 * by `+failover-end-for-timeout` and a best-effort REPLICAOF to every server not yet done.
 */
import { masterEvent, replicaEvent, type SentinelEvent } from './core/events.ts';
import { followsMaster } from './core/info.ts';
import type { Address } from './core/types.ts';
import type { EndOutput, FailoverState, ReconfTarget } from './core/workflow-state.ts';
import { withRedis } from './adapters/redis.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { linkOptionsFromEnv } from './runtime/aws/redis.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { requireSelection } from './runtime/require.ts';

export async function run(state: FailoverState, deps: Pick<StepDeps, 'publisher' | 'now' | 'linkOptions'>): Promise<EndOutput> {
  const { promoted } = requireSelection(state);
  const unfinished = unfinishedTargets(state);
  const bestEffort: Address[] = [];
  if (unfinished.length > 0) {
    const options = await deps.linkOptions(state.master.name);
    const sent = await Promise.all(
      unfinished.map((target) =>
        withRedis(target, { ...options, connectTimeoutMs: 500 }, async (link) => {
          if (followsMaster(await link.info(), promoted)) return false;
          await link.replicate(promoted);
          return true;
        }).catch(() => false),
      ),
    );
    unfinished.forEach((target, i) => {
      if (sent[i]) bestEffort.push({ host: target.host, port: target.port });
    });
  }
  // Timestamps from after the best-effort round, which may have waited on hung servers.
  const context = failoverEventContext(state, deps);
  const events: SentinelEvent[] = [
    ...(unfinished.length > 0 ? [masterEvent('+failover-end-for-timeout', state.master, context)] : []),
    ...bestEffort.map((target) => replicaEvent('+slave-reconf-sent-be', target, state.master, context)),
    masterEvent('+failover-end', state.master, context),
  ];
  await deps.publisher.publish(events);
  return { timedOut: unfinished.length > 0, bestEffort };
}

/** Items that ran out of time; all of them, old master included, when the reconfiguration itself failed. */
function unfinishedTargets(state: FailoverState): ReconfTarget[] {
  if (!state.reconf) return [{ host: state.master.host, port: state.master.port, role: 'old-master' }, ...(state.selection?.others ?? [])];
  return [state.reconf.oldMaster, ...state.reconf.replicas].filter((item) => item.phase === 'timeout').map((item) => item.target);
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher, linkOptions: linkOptionsFromEnv() }));
