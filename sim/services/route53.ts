/**
 * Route 53 for the simulation: the record operations of private hosted zones over Route 53's
 * REST-XML protocol (ChangeResourceRecordSets, ListResourceRecordSets, GetChange), with the
 * refusals a client meets on AWS: an unknown zone, a name outside the zone, a CNAME beside
 * another record, a DELETE that does not match, an address that is not one, and the API's rate
 * limit (five requests a second per account, answered `Throttling`). The zones' records are
 * what the DNS stand-in (dns-server.ts) answers from.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { listenOnLoopback } from '../../local/loopback.ts';
import { callerOf, callLog, readBody, type AwsCallRecord } from './aws-json-server.ts';
import { messageOf } from '../../lambdas/core/errors.ts';

export interface HostedZoneSpec {
  /** `Z0123456789ABCDEFGHIJ` */
  readonly id: string;
  /** `redis.internal` */
  readonly name: string;
}

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

export interface StoredRecordSet {
  /** Lower case, without the trailing dot. */
  readonly name: string;
  readonly type: RecordType;
  readonly ttlSeconds: number;
  readonly values: readonly string[];
}

export interface Route53StandInOptions {
  readonly zones: readonly HostedZoneSpec[];
  /** Requests per second the account may make (token bucket of as many). @default 5 */
  readonly ratePerSecond?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export interface Route53StandIn {
  readonly url: string;
  readonly calls: readonly AwsCallRecord[];
  onCall(listener: (call: AwsCallRecord) => void): () => void;
  /** The record set under `name` of `type` in whichever zone holds the name, or undefined. */
  lookup(name: string, type: RecordType): StoredRecordSet | undefined;
  /** Every record set under `name`. */
  recordsAt(name: string): StoredRecordSet[];
  /** Whether `name` lies in one of the zones. */
  inZone(name: string): boolean;
  /** A change made outside the API (a person in the console): the test's way to break a record. */
  put(record: StoredRecordSet): void;
  /** Called after every change, with the record sets it wrote or deleted. */
  onChange(listener: (names: readonly string[]) => void): () => void;
  stop(): Promise<void>;
}

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

class Route53Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Zone extends HostedZoneSpec {
  /** `name|type` → record set. */
  readonly sets: Map<string, StoredRecordSet>;
}

const norm = (name: string) => (name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase();
const key = (name: string, type: string) => `${norm(name)}|${type}`;

export const Route53StandIn = {
  async start(options: Route53StandInOptions): Promise<Route53StandIn> {
    const zones = options.zones.map((z): Zone => ({ id: z.id, name: norm(z.name), sets: new Map() }));
    const log = callLog<AwsCallRecord>();
    const changeListeners = new Set<(names: readonly string[]) => void>();
    const changes = new Map<string, string>();
    const rate = options.ratePerSecond ?? 5;
    const bucket = { tokens: rate, at: Date.now() };

    const zoneOf = (name: string) => zones.find((z) => norm(name) === z.name || norm(name).endsWith(`.${z.name}`));
    const zoneById = (id: string) => {
      const zone = zones.find((z) => z.id === id.replace(/^\/?hostedzone\//, ''));
      if (!zone) throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);
      return zone;
    };

    const throttled = () => {
      const now = Date.now();
      bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
      bucket.at = now;
      if (bucket.tokens < 1) return true;
      bucket.tokens -= 1;
      return false;
    };

    const apply = (zone: Zone, batch: XmlNode): string => {
      const list = child(child(batch, 'Changes'), 'Change', true);
      if (list.length === 0) throw new Route53Error('InvalidInput', 'ChangeBatch.Changes must hold at least one Change');
      // All or nothing: checked on a copy, committed at the end.
      const next = new Map(zone.sets);
      const touched: string[] = [];
      for (const change of list) {
        const action = text(child(change, 'Action'));
        const set = recordSetOf(child(change, 'ResourceRecordSet'));
        const fqdn = `${set.name}.`;
        if (set.name !== zone.name && !set.name.endsWith(`.${zone.name}`))
          throw batchError(`RRSet with DNS name ${fqdn} is not permitted in zone ${zone.name}.`);
        const others = [...next.values()].filter((s) => s.name === set.name && s.type !== set.type);
        if (action === 'DELETE') {
          const held = next.get(key(set.name, set.type));
          if (!held) throw batchError(`Tried to delete resource record set [name='${fqdn}', type='${set.type}'] but it was not found`);
          if (held.ttlSeconds !== set.ttlSeconds || [...held.values].sort().join() !== [...set.values].sort().join()) {
            throw batchError(
              `Tried to delete resource record set [name='${fqdn}', type='${set.type}'] but the values provided do not match the current values`,
            );
          }
          next.delete(key(set.name, set.type));
        } else if (action === 'CREATE' || action === 'UPSERT') {
          if (action === 'CREATE' && next.has(key(set.name, set.type)))
            throw batchError(`Tried to create resource record set [name='${fqdn}', type='${set.type}'] but it already exists`);
          if (set.type === 'CNAME' && others.length > 0)
            throw batchError(
              `RRSet of type CNAME with DNS name ${fqdn} is not permitted as it conflicts with other records with the same DNS name in zone ${zone.name}.`,
            );
          if (others.some((s) => s.type === 'CNAME'))
            throw batchError(
              `RRSet of type ${set.type} with DNS name ${fqdn} is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone ${zone.name}.`,
            );
          next.set(key(set.name, set.type), set);
        } else {
          throw new Route53Error(
            'InvalidInput',
            `Invalid XML ; cvc-enumeration-valid: Value '${action}' is not facet-valid with respect to enumeration '[CREATE, DELETE, UPSERT]'.`,
          );
        }
        touched.push(set.name);
      }
      zone.sets.clear();
      for (const [k, v] of next) zone.sets.set(k, v);
      const id = `C${randomUUID().replace(/-/g, '').slice(0, 20).toUpperCase()}`;
      changes.set(id, new Date().toISOString());
      for (const listener of changeListeners) listener(touched);
      return id;
    };

    const route = async (req: IncomingMessage, body: string): Promise<string> => {
      const url = new URL(req.url ?? '/', 'http://route53');
      const rrset = /^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/.exec(url.pathname);
      const change = /^\/2013-04-01\/change\/([^/]+)$/.exec(url.pathname);
      if (rrset && req.method === 'POST') {
        const zone = zoneById(decodeURIComponent(rrset[1]!));
        const id = apply(zone, child(parseXml(body), 'ChangeBatch'));
        return `<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/${id}</Id><Status>PENDING</Status><SubmittedAt>${changes.get(id)}</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`;
      }
      if (rrset && req.method === 'GET') {
        const zone = zoneById(decodeURIComponent(rrset[1]!));
        const start = url.searchParams.get('name');
        const max = Math.min(300, Number(url.searchParams.get('maxitems') ?? 300) || 300);
        // Route 53 sorts by name with the labels reversed (com.example.www), then by type.
        const order = (s: StoredRecordSet) => `${s.name.split('.').reverse().join('.')}|${s.type}`;
        const from = start === null ? '' : norm(start).split('.').reverse().join('.');
        const sets = [...zone.sets.values()].sort((a, b) => order(a).localeCompare(order(b))).filter((s) => order(s) >= from);
        const page = sets.slice(0, max);
        const items = page.map(
          (s) =>
            `<ResourceRecordSet><Name>${escapeXml(s.name)}.</Name><Type>${s.type}</Type><TTL>${s.ttlSeconds}</TTL><ResourceRecords>${s.values.map((v) => `<ResourceRecord><Value>${escapeXml(v)}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>`,
        );
        const next = sets[max];
        const more = next ? `<NextRecordName>${escapeXml(next.name)}.</NextRecordName><NextRecordType>${next.type}</NextRecordType>` : '';
        return `<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${items.join('')}</ResourceRecordSets><IsTruncated>${next ? 'true' : 'false'}</IsTruncated>${more}<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`;
      }
      if (change && req.method === 'GET') {
        const at = changes.get(change[1]!);
        if (!at) throw new Route53Error('NoSuchChange', `A change with the specified change ID does not exist: ${change[1]}`, 404);
        // The stand-in's DNS answers a change at once: it is in sync as soon as it is made.
        return `<GetChangeResponse xmlns="${NS}"><ChangeInfo><Id>/change/${change[1]}</Id><Status>INSYNC</Status><SubmittedAt>${at}</SubmittedAt></ChangeInfo></GetChangeResponse>`;
      }
      throw new Route53Error('UnknownOperationException', `route53 does not simulate ${req.method ?? '?'} ${url.pathname}`);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
      const requestId = randomUUID();
      try {
        const body = await readBody(req);
        log.record({ operation: `${req.method ?? '?'} ${(req.url ?? '').split('?')[0]}`, caller: callerOf(req.headers.authorization), time: Date.now() });
        if (throttled()) throw new Route53Error('Throttling', 'Rate exceeded');
        send(res, 200, `<?xml version="1.0" encoding="UTF-8"?>\n${await route(req, body)}`, requestId);
      } catch (error) {
        const e = error instanceof Route53Error ? error : new Route53Error('InternalFailure', `route53 stand-in failed: ${messageOf(error)}`, 500);
        const type = e.status >= 500 ? 'Receiver' : 'Sender';
        if (!res.headersSent && !res.destroyed)
          send(
            res,
            e.status,
            `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
            requestId,
          );
      }
    };

    const listener = await listenOnLoopback(
      createServer((req, res) => void handle(req, res)),
      options.host,
    );
    const all = () => zones.flatMap((z) => [...z.sets.values()]);
    return {
      url: listener.url,
      calls: log.calls,
      onCall: log.onCall,
      lookup: (name, type) => zoneOf(name)?.sets.get(key(name, type)),
      recordsAt: (name) => all().filter((s) => s.name === norm(name)),
      inZone: (name) => zoneOf(name) !== undefined,
      put: (record) => {
        const zone = zoneOf(record.name);
        if (!zone) throw new Error(`${record.name} is in no simulated hosted zone`);
        for (const [k, s] of zone.sets) if (s.name === norm(record.name)) zone.sets.delete(k);
        zone.sets.set(key(record.name, record.type), { ...record, name: norm(record.name) });
        for (const l of changeListeners) l([norm(record.name)]);
      },
      onChange: (l) => {
        changeListeners.add(l);
        return () => void changeListeners.delete(l);
      },
      stop: listener.stop,
    };
  },
};

function send(res: ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml), 'x-amzn-RequestId': requestId });
  res.end(xml);
}

function batchError(message: string): Route53Error {
  return new Route53Error('InvalidChangeBatch', `[${message}]`);
}

function recordSetOf(node: XmlNode): StoredRecordSet {
  const name = norm(text(child(node, 'Name')));
  const type = text(child(node, 'Type')) as RecordType;
  if (!['A', 'AAAA', 'CNAME', 'TXT'].includes(type)) throw new Route53Error('InvalidInput', `the stand-in does not simulate records of type ${type}`);
  const ttlText = text(child(node, 'TTL'));
  const ttlSeconds = Number(ttlText);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0) throw new Route53Error('InvalidInput', `Invalid TTL ${ttlText}`);
  const values = child(child(node, 'ResourceRecords'), 'ResourceRecord', true).map((r) => text(child(r, 'Value')));
  if (values.length === 0) throw batchError(`RRSet ${name}. of type ${type} has no values`);
  if (type === 'CNAME' && values.length > 1) throw batchError(`RRSet of type CNAME with DNS name ${name}. has more than one value`);
  for (const value of values) {
    if (type === 'A' && isIP(value) !== 4) throw batchError(`ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${value}'`);
    if (type === 'AAAA' && isIP(value) !== 6) throw batchError(`AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '${value}'`);
  }
  return { name, type, ttlSeconds, values: type === 'CNAME' ? values.map(norm) : values };
}

/** The little XML the Route 53 client sends: elements and text, no attributes needed, entities decoded. */
export interface XmlNode {
  readonly name: string;
  readonly children: XmlNode[];
  text: string;
}

export function parseXml(source: string): XmlNode {
  const root: XmlNode = { name: '#root', children: [], text: '' };
  const stack: XmlNode[] = [root];
  const tag = /<(\/?)([A-Za-z_][\w.:-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g;
  for (const match of source.matchAll(tag)) {
    const [, closing, name, selfClosing, chars] = match;
    const top = stack[stack.length - 1]!;
    if (chars !== undefined) top.text += decode(chars);
    else if (name === undefined) continue;
    else if (closing) {
      if (top.name !== name) throw new Route53Error('InvalidInput', `Invalid XML: </${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const node: XmlNode = { name, children: [], text: '' };
      top.children.push(node);
      if (!selfClosing) stack.push(node);
    }
  }
  if (stack.length !== 1 || root.children.length !== 1) throw new Route53Error('InvalidInput', 'Invalid XML: not one document element');
  return root.children[0]!;
}

function child(node: XmlNode, name: string): XmlNode;
function child(node: XmlNode, name: string, all: true): XmlNode[];
function child(node: XmlNode, name: string, all?: true): XmlNode | XmlNode[] {
  const found = node.children.filter((c) => c.name === name);
  if (all) return found;
  if (!found[0]) throw new Route53Error('InvalidInput', `Invalid XML: <${node.name}> has no <${name}>`);
  return found[0];
}

const text = (node: XmlNode) => node.text.trim();

function decode(value: string): string {
  return value.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, entity: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (entity[0] !== '#') return named[entity.toLowerCase()]!;
    return String.fromCodePoint(entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
  });
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
