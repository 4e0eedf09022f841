/**
 * Whether two host names reach the same server: a replica configured with `replicaof 10.0.0.1`
 * follows `redis-1.internal` if that name resolves there. Resolved at each call (no cached IP).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** The addresses a host resolves to now (itself for an address); none when it does not resolve. */
export async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return []; // unresolvable: it matches nothing
  }
}

export async function sameHost(a: string, b: string): Promise<boolean> {
  if (a === b) return true;
  if (isIP(a) && isIP(b)) return false;
  const [left, right] = await Promise.all([addressesOf(a), addressesOf(b)]);
  return left.some((address) => right.includes(address));
}
