/**
 * The topology after a failover, with none running and a sane master of record: a known server
 * reporting role:master is demoted (+convert-to-slave); a replica following another master for
 * failover-timeout is re-pointed (+fix-slave-config).
 */
import { sameHost } from '../../adapters/dns.ts';
import { sameAddress } from '../../core/address.ts';
import { replicaEvent, type SentinelEventName } from '../../core/events.ts';
import { followsMaster } from '../../core/info.ts';
import type { Address, ReplicationInfo } from '../../core/types.ts';
import type { WatchContext } from './context.ts';
import type { Instances } from './instances.ts';

/** Pause between two repairs of the same server. */
const REPAIR_PAUSE_MS = 1000;

/** Answers 'stale' when the table's record moved on: the caller reads it again before anything else. */
export async function repair(ctx: WatchContext, instances: Instances, now: number): Promise<'stale' | 'done'> {
  const record = ctx.record();
  for (const instance of instances.values()) {
    const info = instance.info;
    if (sameAddress(instance.address, record) || !info || now - instance.lastRepairAt < REPAIR_PAUSE_MS) continue;
    if (ctx.deps.faults?.unreachable?.(instance.address)) continue;
    let event: SentinelEventName | null = null;
    if (info.role === 'master') event = '+convert-to-slave';
    else if (info.role === 'slave' && !(await followsByName(info, record))) {
      instance.wrongMasterSince ??= now;
      if (now - instance.wrongMasterSince > ctx.config.failoverTimeoutMs) event = '+fix-slave-config';
    } else instance.wrongMasterSince = null;
    if (!event) continue;
    instance.lastRepairAt = now;
    // Never act on a stale record: after a failover this voter may not have read the switch yet,
    // and would take the new master for a stray one.
    const fresh = await ctx.deps.store.getMaster(ctx.config.name);
    if (!fresh || !sameAddress(fresh, record) || fresh.failover !== null) return 'stale';
    const sent = await instance.link.use(async (l) => {
      // Look again right before acting: another voter may have done it already.
      const fresh = await l.info();
      if (await followsByName(fresh, record)) return false;
      await l.replicate(record);
      return true;
    });
    if (sent) {
      instance.wrongMasterSince = null;
      await ctx.publish([replicaEvent(event, instance.address, ctx.ref())]);
    }
  }
  return 'done';
}

/** Follows the master, whether the config names it by IP and the replica by host name or the other way round. */
async function followsByName(info: ReplicationInfo, master: Address): Promise<boolean> {
  if (followsMaster(info, master)) return true;
  return info.role === 'slave' && info.masterPort === master.port && info.masterHost !== null && (await sameHost(info.masterHost, master.host));
}
