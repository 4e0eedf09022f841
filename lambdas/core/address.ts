import type { Address } from './types.ts';

/** `host:port`, the name Sentinel gives a replica. */
export function addressKey(address: Address): string {
  return `${address.host}:${address.port}`;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.host === b.host && a.port === b.port;
}

/** The addresses once each, in their first order, leaving out `except`. */
export function distinctAddresses(list: readonly Address[], except: readonly Address[] = []): Address[] {
  const seen = new Set(except.map(addressKey));
  const out: Address[] = [];
  for (const address of list) {
    const key = addressKey(address);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ host: address.host, port: address.port });
  }
  return out;
}
