/**
 * DNS endpoints of a master group, as ElastiCache gives a replication group: a primary record
 * that names the master of record, and a reader record naming its healthy replicas (the master
 * when there is none, as ElastiCache's reader endpoint does). Pure: which records a group should
 * have, and whether what DNS holds agrees. The records themselves live behind `EndpointRecords` (core/interfaces.ts).
 */
import { isIP } from 'node:net';
import type { Address } from './types.ts';

export type RecordType = 'A' | 'AAAA' | 'CNAME';

/** One DNS record set. Names are written without the trailing dot; values in no particular order. */
export interface RecordSet {
  readonly name: string;
  readonly type: RecordType;
  readonly ttlSeconds: number;
  readonly values: readonly string[];
}

/** Where a group's records go and how they are written. */
export interface EndpointSettings {
  /** The private hosted zone's name, e.g. `redis.internal`. */
  readonly zoneName: string;
  /** What resolvers (and so clients) may cache an answer for. */
  readonly ttlSeconds: number;
  /** Also keep `<master>-ro.<zone>`. */
  readonly reader: boolean;
}

/** `mymaster.redis.internal`: the group's name must be a DNS label (the construct checks, see isDnsLabel). */
export function primaryName(master: string, settings: EndpointSettings): string {
  return `${master.toLowerCase()}.${trimDot(settings.zoneName)}`;
}

/** `mymaster-ro.redis.internal`. */
export function readerName(master: string, settings: EndpointSettings): string {
  return `${master.toLowerCase()}-ro.${trimDot(settings.zoneName)}`;
}

/** Whether a master group's name can be a DNS label (what a zone's record names are made of). */
export function isDnsLabel(name: string): boolean {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,58}[A-Za-z0-9])?$/.test(name);
}

/** The primary record: A (or AAAA) for an address, CNAME for a host name. */
export function primaryRecord(master: string, address: Address, settings: EndpointSettings): RecordSet {
  return { name: primaryName(master, settings), type: typeOf(address.host), ttlSeconds: settings.ttlSeconds, values: [address.host] };
}

/**
 * The reader record from the addresses of the replicas that answer and replicate: one A value
 * each (a CNAME cannot have several). With none, the master's addresses, so a reader always has
 * somewhere to read. Null when there is nothing to name (no address at all).
 */
export function readerRecord(
  master: string,
  replicaAddresses: readonly string[],
  masterAddresses: readonly string[],
  settings: EndpointSettings,
): RecordSet | null {
  const pick = (list: readonly string[]) => [...new Set(list.filter((a) => isIP(a) === 4))].sort();
  const values = pick(replicaAddresses).length > 0 ? pick(replicaAddresses) : pick(masterAddresses);
  if (values.length === 0) return null;
  return { name: readerName(master, settings), type: 'A', ttlSeconds: settings.ttlSeconds, values };
}

/** What DNS holds under the record's name is exactly the record: one set, same type, TTL and values. */
export function recordHolds(held: readonly RecordSet[], wanted: RecordSet): boolean {
  if (held.length !== 1) return false;
  const [record] = held as [RecordSet];
  const norm = (values: readonly string[]) =>
    values
      .map((v) => trimDot(v).toLowerCase())
      .sort()
      .join(' ');
  return record.type === wanted.type && record.ttlSeconds === wanted.ttlSeconds && norm(record.values) === norm(wanted.values);
}

function typeOf(host: string): RecordType {
  const family = isIP(host);
  return family === 4 ? 'A' : family === 6 ? 'AAAA' : 'CNAME';
}

export function trimDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
