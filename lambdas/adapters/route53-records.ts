/**
 * A private hosted zone's records through the Route 53 API. An UPSERT is idempotent, so a retried
 * step writes the same record again harmlessly. Route 53 refuses an UPSERT that would put a CNAME
 * beside records of another type under one name (or the reverse): then the others are deleted in
 * the same change batch, which Route 53 applies all or nothing.
 */
import { ChangeResourceRecordSetsCommand, InvalidChangeBatch, ListResourceRecordSetsCommand, type Change, type Route53Client } from '@aws-sdk/client-route-53';
import { trimDot, type RecordSet, type RecordType } from '../core/endpoints.ts';
import type { EndpointRecords } from '../core/interfaces.ts';

export interface Route53RecordsOptions {
  readonly client: Route53Client;
  /** `Z0123456789ABCDEFGHIJ`, with or without `/hostedzone/`. */
  readonly zoneId: string;
}

const TYPES: readonly string[] = ['A', 'AAAA', 'CNAME'];

export class Route53Records implements EndpointRecords {
  readonly #client: Route53Client;
  readonly #zoneId: string;

  constructor(options: Route53RecordsOptions) {
    this.#client = options.client;
    this.#zoneId = options.zoneId.replace(/^\/?hostedzone\//, '');
  }

  async read(name: string): Promise<readonly RecordSet[]> {
    const wanted = trimDot(name).toLowerCase();
    // Record sets come sorted by name from StartRecordName on: the first few are all there can be under it.
    const out = await this.#client.send(new ListResourceRecordSetsCommand({ HostedZoneId: this.#zoneId, StartRecordName: wanted, MaxItems: 10 }));
    return (out.ResourceRecordSets ?? [])
      .filter((set) => trimDot(unescapeName(set.Name ?? '')).toLowerCase() === wanted && TYPES.includes(set.Type ?? '') && set.AliasTarget === undefined)
      .map((set) => ({
        name: wanted,
        type: set.Type as RecordType,
        ttlSeconds: set.TTL ?? 0,
        values: (set.ResourceRecords ?? []).map((r) => trimDot(r.Value ?? '')),
      }));
  }

  async write(record: RecordSet): Promise<void> {
    try {
      await this.#change([upsert(record)]);
    } catch (error) {
      if (!(error instanceof InvalidChangeBatch)) throw error;
      const others = (await this.read(record.name)).filter((held) => held.type !== record.type);
      if (others.length === 0) throw error;
      await this.#change([...others.map(remove), upsert(record)]);
    }
  }

  async #change(changes: Change[]): Promise<void> {
    await this.#client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: this.#zoneId, ChangeBatch: { Comment: 'redis-failover', Changes: changes } }));
  }
}

function recordSet(record: RecordSet) {
  return { Name: record.name, Type: record.type, TTL: record.ttlSeconds, ResourceRecords: record.values.map((Value) => ({ Value })) };
}

const upsert = (record: RecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: recordSet(record) });
const remove = (record: RecordSet): Change => ({ Action: 'DELETE', ResourceRecordSet: recordSet(record) });

/** Route 53 lists some characters of a name as `\ooo` octal escapes. */
function unescapeName(name: string): string {
  return name.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}
