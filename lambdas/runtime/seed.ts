import type { Clock, EventPublisher, FailoverStore, RedisLinkOptions } from '../core/interfaces.ts';
import { infoOrNull } from '../adapters/redis.ts';
import { addressKey, sameAddress } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import { replicaEvent } from '../core/events.ts';
import type { MasterRecord } from '../core/store.ts';
import type { Address, MasterRef } from '../core/types.ts';

export interface RecordDeps {
  readonly store: FailoverStore;
  readonly linkOptions: (masterName: string) => Promise<RedisLinkOptions>;
  readonly log?: (line: string) => void;
}

/**
 * The master's record; on first use, created from the config, or from the master the configured
 * one now follows. A failover that no table remembers (`local` restarted with its table in
 * memory, a stack deployed over servers failed over before) leaves the config naming a replica:
 * taken as a master reporting role:slave, it would be SDOWN and failed over for nothing.
 */
export async function masterRecord(master: MasterConfig, deps: RecordDeps): Promise<MasterRecord> {
  const stored = await deps.store.getMaster(master.name);
  if (stored) return stored;
  const current = await followedMaster(master, await deps.linkOptions(master.name));
  if (current) {
    deps.log?.(
      `${master.name}: the configured master ${addressKey(master)} follows ${addressKey(current)}, which answers as a master: monitoring ${addressKey(current)} (update the config file)`,
    );
  }
  return deps.store.ensureMaster({ name: master.name, ...(current ?? { host: master.host, port: master.port }) });
}

/** The server the configured master replicates from, when that one says it is a master (one hop, nothing guessed). */
async function followedMaster(master: Address, options: RedisLinkOptions): Promise<Address | null> {
  const info = await infoOrNull(master, options);
  if (info?.role !== 'slave' || info.masterHost === null || info.masterPort === null) return null;
  const followed = { host: info.masterHost, port: info.masterPort };
  const theirs = await infoOrNull(followed, options);
  return theirs?.role === 'master' ? followed : null;
}

interface RememberDeps extends Clock {
  readonly store: FailoverStore;
  readonly publisher: EventPublisher;
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
    const known = { host: replica.host, port: replica.port };
    if (!(await deps.store.addReplica(record.name, known))) continue;
    const event = replicaEvent('+slave', replica, record);
    await deps.publisher.publish([deps.voterId ? { ...event, detail: { ...event.detail, voter: deps.voterId } } : event]);
  }
}

/**
 * Sentinel's `known-replica` lines, loaded at start, so a master already dead when watching
 * starts can still fail over.
 */
export async function seedKnownReplicas(masters: readonly MasterConfig[], deps: RememberDeps & RecordDeps): Promise<void> {
  for (const master of masters) {
    if (master.knownReplicas.length === 0) continue;
    const record = await masterRecord(master, deps);
    await rememberReplicas({ name: record.name, host: record.host, port: record.port }, master.knownReplicas, deps);
  }
}
