/**
 * ReconfSlave: one item of the ReconfSlaves Map. Re-points one server at the promoted
 * replica and follows it through Sentinel's sent → inprog → done, publishing each step once.
 * Returns the item with its new phase; the workflow loops until the phase is final.
 */
import { replicaEvent, type SentinelEvent } from './core/events.ts';
import { advanceReconf, isFinished, reconfDeadline } from './core/reconf.ts';
import type { ReconfItem } from './core/workflow-state.ts';
import { PollingLink } from './adapters/redis.ts';
import type { RedisLinkOptions } from './core/interfaces.ts';
import { eventsFromEnv } from './runtime/aws/events.ts';
import { linkOptionsFromEnv } from './runtime/aws/redis.ts';
import { stepDeps, stepHandler } from './runtime/aws/step.ts';
import { failoverEventContext, type StepDeps } from './runtime/deps.ts';
import { pollWithin } from './runtime/poll.ts';

/**
 * How long an old master the voters judged down gets to answer: a live one (cut off from the voters
 * only) is demoted at once; a hung or unreachable one is left to the voters, which convert it when
 * it answers again (+convert-to-slave), rather than holding +failover-end for its timeouts.
 */
export const QUICK_LOOK_MS = 100;

export async function run(item: ReconfItem, deps: Omit<StepDeps, 'store'>): Promise<ReconfItem> {
  const options = await deps.linkOptions(item.master.name);
  const judgedDown = item.target.role === 'old-master' && item.masterDownSince != null;
  const link = new PollingLink(item.target, judgedDown ? quickLook(options) : options);
  let current = item;
  // A server answering only errors (-BUSY: a script stuck after a write) cannot be re-pointed now: it is judged
  // as one that does not answer, not as a failure of this step (which the workflow would retry).
  const ask = <T>(work: Parameters<typeof link.use<T>>[0]) => link.use(work).catch(() => undefined);
  const advance = async (): Promise<void> => {
    const info = await ask((l) => l.info());
    let decision = advanceReconf(current, { reachable: info !== undefined, info: info ?? null }, deps.now());
    if (decision.send && (await ask((l) => l.replicate(item.promoted))) === undefined) {
      // It went away between INFO and REPLICAOF: judge it as unreachable.
      decision = advanceReconf(current, { reachable: false, info: null }, deps.now());
    }
    current = { ...current, phase: decision.phase, sentAt: decision.sentAt, unreachableSince: decision.unreachableSince };
    await deps.publisher.publish(decision.events.map((type) => eventFor(type, current, deps)));
  };
  await pollWithin(deps, reconfDeadline(item), async () => {
    // Look again at once while the replica is moving (REPLICAOF shows in INFO immediately); pause only when it is not.
    for (let before = current.phase; ; before = current.phase) {
      await advance();
      if (isFinished(current.phase)) return true;
      if (current.phase === before) return undefined;
    }
  }).finally(() => link.close());
  // Past the deadline pollWithin stops before advanceReconf could say so.
  return !isFinished(current.phase) && deps.now() > reconfDeadline(item) ? { ...current, phase: 'timeout' } : current;
}

/**
 * Half the quick look to connect, half for each command, and no credential renewal (its extra
 * PING would wait on a hung server too): a refused password leaves it to the voters, which renew.
 */
function quickLook(options: RedisLinkOptions): RedisLinkOptions {
  const { renewCredentials: _renew, ...rest } = options;
  return { ...rest, connectTimeoutMs: QUICK_LOOK_MS / 2, commandTimeoutMs: QUICK_LOOK_MS / 2 };
}

function eventFor(type: SentinelEvent['type'], item: ReconfItem, deps: Pick<StepDeps, 'now'>): SentinelEvent {
  const context = failoverEventContext(item, deps);
  // A converted old master belongs to the new master already; replicas are named against the failed one, as Sentinel does.
  const master = type === '+convert-to-slave' ? { name: item.master.name, ...item.promoted } : item.master;
  return replicaEvent(type, item.target, master, context);
}

export const handler = stepHandler(run, () => stepDeps({ publisher: eventsFromEnv().publisher, linkOptions: linkOptionsFromEnv() }));
