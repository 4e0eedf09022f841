import type { EventPublisher } from '../adapters/publisher.ts';
import { sameAddress } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import { replicaEvent } from '../core/events.ts';
import type { FailoverStore } from '../core/store.ts';

/**
 * Sentinel's `known-replica` lines, loaded at start: each configured replica the table does not
 * know yet is stored and announced (`+slave`, once, by whoever stores it first), so a master
 * already dead when watching starts can still fail over. Skips the current master of record
 * (after a failover it may be one of them).
 */
export async function seedKnownReplicas(
  masters: readonly MasterConfig[],
  deps: { readonly store: FailoverStore; readonly publisher: EventPublisher; readonly now: () => number; readonly voterId?: string },
): Promise<void> {
  for (const master of masters) {
    if (master.knownReplicas.length === 0) continue;
    const record = (await deps.store.getMaster(master.name)) ?? (await deps.store.ensureMaster(master));
    const ref = { name: record.name, host: record.host, port: record.port };
    for (const replica of master.knownReplicas) {
      if (sameAddress(replica, record)) continue;
      const known = { host: replica.host, port: replica.port, runId: null, priority: 100, offset: 0, lastSeenAt: deps.now() };
      if (!(await deps.store.addReplica(master.name, known))) continue;
      const event = replicaEvent('+slave', replica, ref);
      await deps.publisher.publish([deps.voterId ? { ...event, detail: { ...event.detail, voter: deps.voterId } } : event]);
    }
  }
}
