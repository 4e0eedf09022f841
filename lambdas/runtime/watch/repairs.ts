/**
 * The topology after a failover, with none running and a sane master of record: a known server
 * reporting role:master is demoted (+convert-to-slave); a replica following another master for
 * failover-timeout is re-pointed (+fix-slave-config).
 */
import { sameHost } from '../../adapters/dns.ts';
import { addressKey, sameAddress } from '../../core/address.ts';
import { replicaEvent, type SentinelEventName } from '../../core/events.ts';
import { followsMaster } from '../../core/info.ts';
import type { Address, ReplicationInfo } from '../../core/types.ts';
import type { WatchContext } from './context.ts';
import { answersLately, type Instance, type Instances } from './instances.ts';
import { messageOf } from '../../core/errors.ts';

/** Pause between two repairs of the same server. */
const REPAIR_PAUSE_MS = 1000;

/**
 * The repairs of one master group, each server's on its own in the background: the tick that
 * starts them never waits, and a server that hangs holds up only its own repair.
 */
export class Repairs {
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: WatchContext,
    private readonly instances: Instances,
  ) {}

  /** Starts a repair of every server that needs one and has none running; `onStale` when the table's record moved on. */
  start(now: number, onStale: () => void): void {
    const record = this.ctx.record();
    for (const instance of this.instances.values()) {
      const key = addressKey(instance.address);
      if (this.running.has(key) || !needsLook(instance, record, now, this.ctx)) continue;
      const run = repairOne(this.ctx, instance, record, now)
        .then((outcome) => {
          if (outcome === 'stale') onStale();
        })
        .catch((error: unknown) => this.ctx.deps.log?.(`${this.ctx.config.name}: repair of ${key} failed: ${messageOf(error)}`))
        .finally(() => this.running.delete(key));
      this.running.set(key, run);
    }
  }

  /** Waits for the repairs under way (at the end of an invocation). */
  async settle(): Promise<void> {
    await Promise.all(this.running.values());
  }
}

/**
 * A server other than the master of record, answering (not SDOWN), with an INFO of its own from
 * the last moments: one that stopped answering is converted when it answers again, not waited on.
 */
function needsLook(instance: Instance, record: Address, now: number, ctx: WatchContext): boolean {
  if (sameAddress(instance.address, record) || now - instance.lastRepairAt < REPAIR_PAUSE_MS) return false;
  return answersLately(instance, now) && !ctx.deps.faults?.unreachable?.(instance.address);
}

/** Answers 'stale' when the table's record moved on: the caller reads it again before anything else. */
async function repairOne(ctx: WatchContext, instance: Instance, record: Address, now: number): Promise<'stale' | 'done'> {
  const info = instance.info!;
  let event: SentinelEventName | null = null;
  if (info.role === 'master') event = '+convert-to-slave';
  else if (info.role === 'slave' && !(await followsByName(info, record))) {
    instance.wrongMasterSince ??= now;
    if (now - instance.wrongMasterSince > ctx.config.failoverTimeoutMs) event = '+fix-slave-config';
  } else instance.wrongMasterSince = null;
  if (!event) return 'done';
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
  return 'done';
}

/** Follows the master, whether the config names it by IP and the replica by host name or the other way round. */
async function followsByName(info: ReplicationInfo, master: Address): Promise<boolean> {
  if (followsMaster(info, master)) return true;
  return info.role === 'slave' && info.masterPort === master.port && info.masterHost !== null && (await sameHost(info.masterHost, master.host));
}
