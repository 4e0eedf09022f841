import type { EventPublisher } from '../adapters/publisher.ts';
import { sameAddress } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import { replicaEvent } from '../core/events.ts';
import type { FailoverStore } from '../core/store.ts';
import type { Address, MasterRef } from '../core/types.ts';

interface RememberDeps {
  readonly store: FailoverStore;
  readonly publisher: EventPublisher;
  readonly now: () => number;
  /** Who says `+slave` (a voter id, `manual`). */
  readonly voterId?: string;
}

/**
 * Stores each replica the table does not know yet and announces it (`+slave`, once, by whoever
 * stores it first). Never the master of record itself (after a failover it may be listed).
 */
export async function rememberReplicas(record: MasterRef, replicas: readonly Address[], deps: RememberDeps): Promise<void> {
  for (const replica of replicas) {
    if (sameAddress(replica, record)) continue;
    const known = { host: replica.host, port: replica.port, runId: null, priority: 100, offset: 0, lastSeenAt: deps.now() };
    if (!(await deps.store.addReplica(record.name, known))) continue;
    const event = replicaEvent('+slave', replica, record);
    await deps.publisher.publish([deps.voterId ? { ...event, detail: { ...event.detail, voter: deps.voterId } } : event]);
  }
}

/**
 * Sentinel's `known-replica` lines, loaded at start, so a master already dead when watching
 * starts can still fail over.
 */
export async function seedKnownReplicas(masters: readonly MasterConfig[], deps: RememberDeps): Promise<void> {
  for (const master of masters) {
    if (master.knownReplicas.length === 0) continue;
    const record = (await deps.store.getMaster(master.name)) ?? (await deps.store.ensureMaster(master));
    await rememberReplicas({ name: record.name, host: record.host, port: record.port }, master.knownReplicas, deps);
  }
}
