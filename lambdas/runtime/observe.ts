import { RedisLink } from '../adapters/redis.ts';
import type { RedisLinkOptions } from '../core/interfaces.ts';
import type { Address, ReplicaObservation } from '../core/types.ts';
import { RedisAuthError, RedisUnreachableError } from '../core/errors.ts';

/**
 * PING and INFO one server, as the selection needs them. Never throws:
 * an unreachable server is an observation too.
 */
export async function observeReplica(address: Address, options: RedisLinkOptions): Promise<ReplicaObservation> {
  const unreachable: ReplicaObservation = { address, reachable: false, pingAgeMs: Infinity, infoAgeMs: Infinity, info: null };
  let link: RedisLink;
  try {
    link = await RedisLink.open(address, options);
  } catch (error) {
    // One that refuses our credentials is up, but nothing we could send it would work: not a candidate.
    if (error instanceof RedisUnreachableError || error instanceof RedisAuthError) return unreachable;
    throw error;
  }
  try {
    if (!(await link.ping())) return unreachable;
    const info = await link.info();
    return { address, reachable: true, pingAgeMs: 0, infoAgeMs: 0, info };
  } catch {
    return unreachable;
  } finally {
    await link.close();
  }
}
