/**
 * A master group's DNS endpoints at work: the workflow points the primary record at the promoted
 * replica; the voters put back what disagrees with the table (a record changed by hand, an update
 * the workflow could not make) and keep the reader record on the replicas that serve.
 */
import { addressesOf } from '../adapters/dns.ts';
import { primaryRecord, readerRecord, recordHolds, type EndpointSettings, type RecordSet } from '../core/endpoints.ts';
import type { EndpointRecords } from '../core/interfaces.ts';
import { recordEvent, type EventContext, type SentinelEvent } from '../core/events.ts';
import type { Address, MasterRef } from '../core/types.ts';

export class MasterEndpoint {
  constructor(
    readonly records: EndpointRecords,
    readonly settings: EndpointSettings,
  ) {}

  /** Points the primary record at `address`; answers the record written. */
  async pointPrimary(master: string, address: Address): Promise<RecordSet> {
    const record = primaryRecord(master, address, this.settings);
    await this.records.write(record);
    return record;
  }

  /**
   * Reads the group's records and rewrites each that disagrees with `master` (the master of
   * record) and `replicas` (those that answer and replicate from it). Answers what it rewrote.
   * `reader: false` leaves the reader record alone (the caller does not know every replica's state yet).
   */
  async repair(master: string, address: Address, replicas: readonly Address[], options: { readonly reader?: boolean } = {}): Promise<RecordSet[]> {
    const wanted: RecordSet[] = [primaryRecord(master, address, this.settings)];
    if (this.settings.reader && (options.reader ?? true)) {
      const [replicaAddresses, masterAddresses] = await Promise.all([
        Promise.all(replicas.map((r) => addressesOf(r.host))).then((l) => l.flat()),
        addressesOf(address.host),
      ]);
      const reader = readerRecord(master, replicaAddresses, masterAddresses, this.settings);
      if (reader) wanted.push(reader);
    }
    const rewritten: RecordSet[] = [];
    for (const record of wanted) {
      if (recordHolds(await this.records.read(record.name), record)) continue;
      await this.records.write(record);
      rewritten.push(record);
    }
    return rewritten;
  }
}

/** Records in memory, for tests and the local runtime's dry runs. */
export class MemoryRecords implements EndpointRecords {
  readonly sets = new Map<string, RecordSet>();
  writes = 0;

  async read(name: string): Promise<readonly RecordSet[]> {
    const held = this.sets.get(name.toLowerCase());
    return held ? [held] : [];
  }

  async write(record: RecordSet): Promise<void> {
    this.writes++;
    this.sets.set(record.name.toLowerCase(), record);
  }
}

/**
 * The workflow's move of the primary record to the promoted replica, with its `+dns-update`
 * (null without endpoints). Throws what the write threw: the caller decides whether that can wait.
 */
export async function movePrimary(
  endpoint: MasterEndpoint | undefined,
  failover: { readonly master: MasterRef; readonly epoch: number },
  promoted: Address,
  context: EventContext,
): Promise<SentinelEvent | null> {
  if (!endpoint) return null;
  const record = await endpoint.pointPrimary(failover.master.name, promoted);
  return recordEvent('+dns-update', failover.master, record, context);
}
