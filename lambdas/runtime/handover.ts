/**
 * The coordinated handover (Valkey's `SENTINEL FAILOVER <name> COORDINATED`, beyond Sentinel 7.0):
 * the live master pauses writes, the chosen replica catches up, and Redis' own `FAILOVER` swaps
 * their roles, so no acknowledged write is lost. The failover workflow then resumes from that
 * replica and re-points the others. Used by the standalone `failover --coordinated` and by a
 * request through the orchestrator's lease.
 */
import { infoOrNull, withRedis } from '../adapters/redis.ts';
import type { RedisLinkOptions } from '../core/interfaces.ts';
import { addressKey } from '../core/address.ts';
import { followsMaster } from '../core/info.ts';
import type { Address, PromotedAddress } from '../core/types.ts';
import { waitFor } from '../core/wait.ts';
import { HandoverAbortedError } from '../core/errors.ts';

/** How long the master may pause writes for the replica to catch up, by default. */
const DEFAULT_COORDINATION_TIMEOUT_MS = 5000;
/** Redis aborts on its own past the timeout and resumes writes: we watch this much longer. */
const ABORT_GRACE_MS = 5000;

export interface Handover {
  readonly master: Address & { readonly name: string };
  /** The replica SelectSlave's rules chose, with the run_id seen then. */
  readonly target: PromotedAddress;
  readonly linkOptions: RedisLinkOptions;
  /** @default DEFAULT_COORDINATION_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/**
 * Asks the master to hand over to the target and waits until they have swapped: the master
 * follows the target, its handover is over, and the target says it leads. Returns the target.
 */
export async function handOver({ master, target, linkOptions, timeoutMs = DEFAULT_COORDINATION_TIMEOUT_MS }: Handover): Promise<PromotedAddress> {
  await withRedis(master, linkOptions, (link) => link.handOver(target, timeoutMs));
  const outcome = await waitFor(
    async () => {
      const info = await infoOrNull(master, linkOptions);
      if (info && followsMaster(info, target) && info.failoverState !== 'failover-in-progress') {
        const promoted = await infoOrNull(target, linkOptions);
        return promoted?.role === 'master' ? 'swapped' : undefined;
      }
      return info?.role === 'master' && info.failoverState === 'no-failover' ? 'aborted' : undefined;
    },
    { timeoutMs: timeoutMs + ABORT_GRACE_MS, intervalMs: 20, what: `${addressKey(master)} to hand over to ${addressKey(target)}` },
  ).catch(() => 'timeout' as const);
  if (outcome === 'aborted') {
    throw new HandoverAbortedError(
      `${master.name}: coordinated failover to ${addressKey(target)} aborted (aborted); ${addressKey(master)} is still the master`,
    );
  }
  if (outcome === 'swapped') {
    // Redis' FAILOVER drops only blocked clients: the others would stay on the new replica, their writes refused (-READONLY).
    await withRedis(master, linkOptions, (link) => link.dropClients()).catch(() => undefined);
    return target;
  }
  if (outcome === 'timeout') {
    // Neither swapped nor back: we cannot tell what the servers did, so we say so rather than guess.
    throw new HandoverAbortedError(
      `${master.name}: coordinated failover to ${addressKey(target)} did not end within ${(timeoutMs + ABORT_GRACE_MS) / 1000} s; check the role of ${addressKey(master)} and ${addressKey(target)}`,
    );
  }
  return target;
}
