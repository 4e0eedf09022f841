/**
 * The VPC's resolver for the simulation: answers DNS queries over UDP for the names of the
 * Route 53 stand-in's private hosted zones, and caches each answer for its TTL as the VPC
 * resolver does, so a client sees a changed record only once the answer it was given expires.
 * A, AAAA and CNAME (followed inside the zones); NXDOMAIN for a name in a zone with no record,
 * REFUSED for a name outside every zone (the real resolver would recurse: nothing here may leave
 * the machine). Point a client at it with `dns.Resolver#setServers(['127.0.0.1:<port>'])`.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { RecordType, Route53StandIn, StoredRecordSet } from './route53.ts';

export interface DnsServerOptions {
  readonly route53: Route53StandIn;
  /**
   * Answer from a cache kept for each answer's TTL, as the VPC resolver does; false answers from
   * the zone itself every time (an authoritative server). @default true
   */
  readonly cache?: boolean;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 53 where a system resolver must reach it (resolv.conf names no port). @default - one the OS picks */
  readonly port?: number;
}

export interface DnsServer {
  /** `127.0.0.1:<port>`, for setServers. */
  readonly address: string;
  readonly port: number;
  /** Queries answered, in order. */
  readonly queries: ReadonlyArray<{ readonly name: string; readonly type: string; readonly time: number; readonly cached: boolean }>;
  /** Forgets every cached answer. */
  flush(): void;
  stop(): Promise<void>;
}

const TYPE_CODES: Record<number, RecordType> = { 1: 'A', 28: 'AAAA', 5: 'CNAME' };
const CODE_OF: Record<string, number> = { A: 1, AAAA: 28, CNAME: 5 };
const RCODE = { noError: 0, formErr: 1, nxDomain: 3, notImp: 4, refused: 5 } as const;

interface Answer {
  readonly rcode: number;
  readonly records: readonly StoredRecordSet[];
}

interface Cached {
  readonly answer: Answer;
  readonly storedAt: number;
  readonly expiresAt: number;
}

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const socket: Socket = createSocket(isIP(options.host ?? '127.0.0.1') === 6 ? 'udp6' : 'udp4');
  const cache = new Map<string, Cached>();
  const queries: Array<{ name: string; type: string; time: number; cached: boolean }> = [];
  const useCache = options.cache ?? true;

  const resolve = (name: string, type: RecordType): Answer => {
    const records: StoredRecordSet[] = [];
    let current = name;
    // A CNAME in a zone is followed while its target is in a zone too (at most a few hops).
    for (let hop = 0; hop < 8; hop++) {
      if (!options.route53.inZone(current)) return { rcode: records.length > 0 ? RCODE.noError : RCODE.refused, records };
      const wanted = options.route53.lookup(current, type);
      if (wanted) return { rcode: RCODE.noError, records: [...records, wanted] };
      const alias = type === 'CNAME' ? undefined : options.route53.lookup(current, 'CNAME');
      if (!alias) return { rcode: records.length > 0 || options.route53.recordsAt(current).length > 0 ? RCODE.noError : RCODE.nxDomain, records };
      records.push(alias);
      current = alias.values[0]!;
    }
    return { rcode: RCODE.noError, records };
  };

  socket.on('message', (message: Buffer, remote: RemoteInfo) => {
    let reply: Buffer;
    try {
      const query = parseQuery(message);
      const type = TYPE_CODES[query.type];
      if (!type) {
        reply = encodeReply(query, RCODE.notImp, [], 0);
      } else {
        const k = `${query.name.toLowerCase()}|${type}`;
        const now = Date.now();
        const hit = useCache ? cache.get(k) : undefined;
        const cached = hit !== undefined && hit.expiresAt > now;
        const entry = cached ? hit : { answer: resolve(query.name, type), storedAt: now, expiresAt: 0 };
        if (!cached && useCache) {
          // The shortest TTL of the chain bounds the cached answer; a negative answer is kept briefly.
          const ttl = entry.answer.records.length > 0 ? Math.min(...entry.answer.records.map((r) => r.ttlSeconds)) : 1;
          cache.set(k, { ...entry, expiresAt: now + ttl * 1000 });
        }
        queries.push({ name: query.name, type, time: now, cached });
        reply = encodeReply(query, entry.answer.rcode, entry.answer.records, Math.floor((now - entry.storedAt) / 1000));
      }
    } catch {
      return; // not a query we can read: a resolver drops it
    }
    socket.send(reply, remote.port, remote.address);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const { port, address } = socket.address();
  let stopped: Promise<void> | undefined;
  return {
    address: `${address}:${port}`,
    port,
    queries,
    flush: () => cache.clear(),
    stop: () => (stopped ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}

interface Query {
  readonly id: number;
  readonly flags: number;
  readonly name: string;
  readonly type: number;
  readonly klass: number;
  /** The question section's bytes, echoed in the reply. */
  readonly question: Buffer;
}

function parseQuery(message: Buffer): Query {
  if (message.length < 12 || message.readUInt16BE(4) !== 1) throw new Error('not one question');
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const length = message[at];
    if (length === undefined || length > 63) throw new Error('bad name');
    at++;
    if (length === 0) break;
    labels.push(message.toString('latin1', at, at + length));
    at += length;
  }
  if (at + 4 > message.length) throw new Error('short question');
  return {
    id: message.readUInt16BE(0),
    flags: message.readUInt16BE(2),
    name: labels.join('.'),
    type: message.readUInt16BE(at),
    klass: message.readUInt16BE(at + 2),
    question: message.subarray(12, at + 4),
  };
}

function encodeName(name: string): Buffer {
  const parts = name
    .split('.')
    .filter(Boolean)
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** A reply: the question echoed, then one resource record per value; TTLs count down by `ageSeconds`. */
function encodeReply(query: Query, rcode: number, records: readonly StoredRecordSet[], ageSeconds: number): Buffer {
  const answers: Buffer[] = [];
  for (const set of records) {
    for (const value of set.values) {
      const rdata = set.type === 'A' ? Buffer.from(value.split('.').map(Number)) : set.type === 'AAAA' ? ipv6Bytes(value) : encodeName(value);
      const head = Buffer.alloc(10);
      head.writeUInt16BE(CODE_OF[set.type]!, 0);
      head.writeUInt16BE(1, 2); // IN
      head.writeUInt32BE(Math.max(0, set.ttlSeconds - ageSeconds), 4);
      head.writeUInt16BE(rdata.length, 8);
      answers.push(Buffer.concat([encodeName(set.name), head, rdata]));
    }
  }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  // QR, the query's RD echoed, RA; the rcode.
  header.writeUInt16BE(0x8000 | (query.flags & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, query.question, ...answers]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => {
    bytes.writeUInt16BE(parseInt(group, 16) || 0, i * 2);
  });
  return bytes;
}
