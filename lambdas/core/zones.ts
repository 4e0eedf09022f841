/**
 * Zone preference (beyond Sentinel): which zone a server is in, from the config's `zones` map,
 * and how a zone ranks among candidates that Sentinel's rules leave equal on replica-priority.
 * Pure: no lookups; on AWS the map comes from the config like any other setting.
 */
import type { Address } from './types.ts';

/** Where each server is: keys `host:port`, `host`, or an IPv4 CIDR block (`10.0.1.0/24`); the most specific wins. */
export type ZoneMap = Readonly<Record<string, string>>;

export interface ZonePreference {
  readonly zones: ZoneMap;
  /** Zones to promote into, best first; a zone not listed ranks after every listed one. */
  readonly preferredZones: readonly string[];
  /** Rank a replica in the old master's zone after the others (a zone outage took the master). */
  readonly avoidSameZoneAsOldMaster: boolean;
}

function ipv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Whether `host` (an IPv4 address) is inside `cidr`. */
function inCidr(host: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/');
  const address = ipv4(host);
  const network = ipv4(base);
  const bits = Number(bitsText);
  if (address === null || network === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(network / size);
}

/** The zone of a server: by `host:port`, else `host`, else the narrowest CIDR block holding it; null when the map does not say. */
export function zoneOf(address: Address, zones: ZoneMap): string | null {
  const exact = zones[`${address.host}:${address.port}`] ?? zones[address.host];
  if (exact !== undefined) return exact;
  let best: { bits: number; zone: string } | null = null;
  for (const [key, zone] of Object.entries(zones)) {
    if (!key.includes('/') || !inCidr(address.host, key)) continue;
    const bits = Number(key.split('/')[1]);
    if (best === null || bits > best.bits) best = { bits, zone };
  }
  return best?.zone ?? null;
}

/** A replica's rank for its zone, lower first: the old master's zone last (when asked), then the preferred order. */
export function zoneRank(replica: Address, oldMaster: Address, preference: ZonePreference): number {
  const zone = zoneOf(replica, preference.zones);
  const sameAsOld = preference.avoidSameZoneAsOldMaster && zone !== null && zone === zoneOf(oldMaster, preference.zones);
  const preferred = zone === null ? -1 : preference.preferredZones.indexOf(zone);
  const order = preferred === -1 ? preference.preferredZones.length : preferred;
  return (sameAsOld ? preference.preferredZones.length + 1 : 0) + order;
}

/** How a chosen replica's zone is said in `+selected-slave`'s reason: `zone eu-west-1b (preferred 1st)`. */
export function zoneReason(replica: Address, oldMaster: Address, preference: ZonePreference): string {
  const zone = zoneOf(replica, preference.zones);
  if (zone === null) return 'zone unknown';
  const notes: string[] = [];
  const preferred = preference.preferredZones.indexOf(zone);
  if (preferred !== -1) notes.push(`preferred #${preferred + 1}`);
  const old = zoneOf(oldMaster, preference.zones);
  if (preference.avoidSameZoneAsOldMaster && old !== null) notes.push(zone === old ? `the old master's zone too` : `not the old master's ${old}`);
  return notes.length === 0 ? `zone ${zone}` : `zone ${zone} (${notes.join(', ')})`;
}
