/**
 * Redis' reply protocol, in the version each connection chose with HELLO: RESP2 (every
 * connection's start) or RESP3. A reply is built once as a tree and written in the
 * connection's version: a map is RESP3's `%` or RESP2's flat array, a null RESP3's `_` or the
 * RESP2 null Redis uses at that place (`$-1` for a missing string, `*-1` for a missing array),
 * a pub/sub message RESP3's push `>` or a plain array.
 */

export type Protocol = 2 | 3;

export type Reply =
  | { readonly kind: 'simple'; readonly text: string }
  | { readonly kind: 'error'; readonly text: string }
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'bulk'; readonly text: string }
  /** `nullArray`: RESP2 writes `*-1` (SENTINEL GET-MASTER-ADDR-BY-NAME of an unknown name), else `$-1`. */
  | { readonly kind: 'null'; readonly array: boolean }
  | { readonly kind: 'array'; readonly items: readonly Reply[] }
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [Reply, Reply]> }
  | { readonly kind: 'push'; readonly items: readonly Reply[] };

// Simple strings and errors are one line, so CR/LF in a message become spaces.
const oneLine = (text: string): string => text.replace(/[\r\n]+/g, ' ').trim();

export const simple = (text: string): Reply => ({ kind: 'simple', text: oneLine(text) });
export const OK = simple('OK');
export const error = (text: string): Reply => ({ kind: 'error', text: oneLine(text) });
export const integer = (value: number): Reply => ({ kind: 'integer', value });
export const bulk = (text: string): Reply => ({ kind: 'bulk', text });
export const nil: Reply = { kind: 'null', array: false };
export const nilArray: Reply = { kind: 'null', array: true };
export const array = (items: readonly Reply[]): Reply => ({ kind: 'array', items });
export const map = (entries: ReadonlyArray<readonly [Reply, Reply]>): Reply => ({ kind: 'map', entries });
export const push = (items: readonly Reply[]): Reply => ({ kind: 'push', items });

/** Sentinel's field/value lists (SENTINEL MASTER, each replica…): a map of strings, in order. */
export type Fields = ReadonlyArray<readonly [string, string]>;

export function fields(list: Fields): Reply {
  return map(list.map(([field, value]) => [bulk(field), bulk(value)] as const));
}

/** Bulk strings, e.g. `ROLE`'s master names. */
export function bulks(texts: readonly string[]): Reply {
  return array(texts.map(bulk));
}

export function encode(reply: Reply, protocol: Protocol): string {
  switch (reply.kind) {
    case 'simple':
      return `+${reply.text}\r\n`;
    case 'error':
      return `-${reply.text}\r\n`;
    case 'integer':
      return `:${reply.value}\r\n`;
    case 'bulk':
      return `$${Buffer.byteLength(reply.text)}\r\n${reply.text}\r\n`;
    case 'null':
      return protocol === 3 ? '_\r\n' : reply.array ? '*-1\r\n' : '$-1\r\n';
    case 'array':
      return `*${reply.items.length}\r\n${reply.items.map((item) => encode(item, protocol)).join('')}`;
    case 'push':
      return `${protocol === 3 ? '>' : '*'}${reply.items.length}\r\n${reply.items.map((item) => encode(item, protocol)).join('')}`;
    case 'map': {
      const body = reply.entries.map(([key, value]) => encode(key, protocol) + encode(value, protocol)).join('');
      return protocol === 3 ? `%${reply.entries.length}\r\n${body}` : `*${reply.entries.length * 2}\r\n${body}`;
    }
  }
}
