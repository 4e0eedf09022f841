/**
 * EventBridge for the simulation: PutEvents onto named buses, every accepted event recorded
 * with the function that sent it, and the stack's rules matched the way EventBridge matches
 * them, so a test can tell which rule (and so which target) an event would have reached.
 * Faults (per-entry failures, a service outage) are injected the way the SDK would see them.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, isRecord, startAwsJsonServer } from './aws-json-server.ts';
import type { AwsCall, AwsCallRecord } from './aws-json-server.ts';

export interface SimRule {
  readonly name: string;
  /** A bus name or ARN. */
  readonly eventBusName: string;
  readonly eventPattern: Record<string, unknown>;
  /** Target ARNs, kept for the reader: delivery is recorded per rule. */
  readonly targets: readonly string[];
}

export interface SimEvent {
  readonly id: string;
  /** The entry's Time, else the arrival (EventBridge's default), epoch ms. */
  readonly time: number;
  readonly receivedAt: number;
  readonly source: string;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  readonly eventBusName: string;
  readonly caller: string | null;
}

export interface EventBridgeStandInOptions {
  /** Bus names (or ARNs) that exist; any other bus is refused, `default` included. */
  readonly buses: readonly string[];
  readonly rules?: readonly SimRule[];
  /** The envelope's `account` and `region`, for rules that match on them. */
  readonly account?: string;
  readonly region?: string;
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

export interface EventBridgeStandIn {
  readonly url: string;
  readonly calls: readonly AwsCallRecord[];
  /** Accepted events, in acceptance order. */
  readonly events: readonly SimEvent[];
  /** Called at each accepted event; returns the unsubscribe function. */
  on(listener: (event: SimEvent) => void): () => void;
  /** The events `ruleName` matched, in order. */
  deliveries(ruleName: string): readonly SimEvent[];
  /** While on, `ruleName`'s targets refuse what it matched (a topic whose key or policy refuses EventBridge): each counts as a FailedInvocation. */
  failTargets(ruleName: string, on: boolean): void;
  /** Each delivery a rule's target refused (EventBridge's FailedInvocations metric, per RuleName). */
  readonly failedInvocations: ReadonlyArray<{ readonly rule: string; readonly at: number }>;
  /** The next `count` entries fail with `errorCode` (per entry, FailedEntryCount counts them); replaces an earlier call. */
  failNext(count: number, errorCode?: string): void;
  /** While on, every request fails whole with HTTP 500 InternalException. */
  unavailable(on: boolean): void;
  stop(): Promise<void>;
}

/** PutEvents' own limit. */
const MAX_ENTRIES = 10;

/** `arn:aws:events:<region>:<account>:event-bus/<name>` or a plain name → the name. */
function busNameOf(nameOrArn: string): string {
  const slash = nameOrArn.startsWith('arn:') ? nameOrArn.lastIndexOf('event-bus/') : -1;
  return slash >= 0 ? nameOrArn.slice(slash + 'event-bus/'.length) : nameOrArn;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export const EventBridgeStandIn = {
  async start(options: EventBridgeStandInOptions): Promise<EventBridgeStandIn> {
    const buses = new Set(options.buses.map(busNameOf));
    const rules = options.rules ?? [];
    const delivered = new Map<string, SimEvent[]>();
    for (const rule of rules) {
      if (delivered.has(rule.name)) throw new Error(`rule ${rule.name} is declared twice`);
      if (!buses.has(busNameOf(rule.eventBusName))) throw new Error(`rule ${rule.name} is on bus ${rule.eventBusName}, which is not among the buses`);
      checkEventPattern(rule.eventPattern, `rule ${rule.name}`);
      delivered.set(rule.name, []);
    }
    const account = options.account ?? '123456789012';
    const region = options.region ?? 'local-1';
    const events: SimEvent[] = [];
    const listeners = new Set<(event: SimEvent) => void>();
    const injected = { remaining: 0, code: 'InternalFailure' };
    let down = false;
    const refusing = new Set<string>();
    const failedInvocations: Array<{ rule: string; at: number }> = [];

    const accept = (entry: Record<string, unknown>, caller: string | null, receivedAt: number): EntryResult => {
      const { Source: source, DetailType: detailType, Detail: detailText } = entry;
      // EventBridge reports a bad entry in its own result and accepts the others.
      if (typeof source !== 'string' || source === '') return invalid('Source');
      if (typeof detailType !== 'string' || detailType === '') return invalid('DetailType');
      if (typeof detailText !== 'string') return invalid('Detail');
      let detail: unknown;
      try {
        detail = JSON.parse(detailText);
      } catch {
        detail = undefined;
      }
      if (!isRecord(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      // The SDK sends Time as epoch seconds (with fractions).
      const time = typeof entry.Time === 'number' ? Math.round(entry.Time * 1000) : receivedAt;
      const event: SimEvent = {
        id: randomUUID(),
        time,
        receivedAt,
        source,
        detailType,
        detail,
        eventBusName: busNameOf(typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default'),
        caller,
      };
      events.push(event);
      const envelope = {
        version: '0',
        id: event.id,
        'detail-type': detailType,
        source,
        account,
        time: new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region,
        resources: Array.isArray(entry.Resources) ? entry.Resources : [],
        detail,
      };
      for (const rule of rules) {
        if (busNameOf(rule.eventBusName) !== event.eventBusName || !matchesEventPattern(rule.eventPattern, envelope)) continue;
        if (refusing.has(rule.name)) failedInvocations.push({ rule: rule.name, at: receivedAt });
        else delivered.get(rule.name)?.push(event);
      }
      for (const listener of listeners) listener(event);
      return { EventId: event.id };
    };

    const putEvents = (body: Record<string, unknown>, call: AwsCall): unknown => {
      if (down) throw new AwsServiceError('InternalException', 'EventBridge is unavailable (simulated outage).', 500);
      const entries = body.Entries;
      if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES) {
        const length = Array.isArray(entries) ? entries.length : 0;
        throw new AwsServiceError(
          'ValidationException',
          `1 validation error detected: Value with length ${length} at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES}`,
        );
      }
      const records = entries.map((entry: unknown) => (isRecord(entry) ? entry : {}));
      // One unknown bus refuses the whole request before any entry is accepted.
      for (const entry of records) {
        const bus = busNameOf(typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default');
        if (!buses.has(bus)) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
      }
      const receivedAt = Date.now();
      const results = records.map((entry): EntryResult => {
        if (injected.remaining > 0) {
          injected.remaining--;
          return { ErrorCode: injected.code, ErrorMessage: `Simulated ${injected.code}.` };
        }
        return accept(entry, call.caller, receivedAt);
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    };

    const server = await startAwsJsonServer({
      name: 'eventbridge',
      targetPrefix: 'AWSEvents',
      operations: { PutEvents: putEvents },
      ...(options.host && { host: options.host }),
    });
    return {
      url: server.url,
      calls: server.calls,
      events,
      on(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      deliveries(ruleName) {
        const list = delivered.get(ruleName);
        if (!list) throw new Error(`no rule named ${ruleName}`);
        return [...list];
      },
      failTargets(ruleName, on) {
        if (!delivered.has(ruleName)) throw new Error(`no rule named ${ruleName}`);
        if (on) refusing.add(ruleName);
        else refusing.delete(ruleName);
      },
      failedInvocations,
      failNext(count, errorCode = 'InternalFailure') {
        injected.remaining = Math.max(0, Math.floor(count));
        injected.code = errorCode;
      },
      unavailable(on) {
        down = on;
      },
      stop: server.stop,
    };
  },
};

function invalid(field: string): EntryResult {
  return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
}

// ---- Event patterns ----------------------------------------------------------------------
// The subset CloudFormation templates commonly use: nested keys, arrays of literals ("any of"),
// and prefix / anything-but / exists. Anything else is refused at start, not silently mismatched.

type Literal = string | number | boolean | null;

function isLiteral(value: unknown): value is Literal {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Throws, naming the path, when `pattern` uses a form this matcher does not implement. */
export function checkEventPattern(pattern: unknown, where = 'event pattern', path = ''): void {
  const at = (key: string): string => (path ? `${path}.${key}` : key);
  if (!isRecord(pattern) || Object.keys(pattern).length === 0) throw new Error(`${where}: ${path || 'the pattern'} must be a non-empty object`);
  for (const [key, value] of Object.entries(pattern)) {
    if (key.startsWith('$')) throw new Error(`${where}: ${at(key)} is not simulated (only prefix, anything-but and exists)`);
    if (isRecord(value)) {
      checkEventPattern(value, where, at(key));
    } else if (Array.isArray(value) && value.length > 0) {
      for (const condition of value) checkCondition(condition, where, at(key));
    } else {
      throw new Error(`${where}: ${at(key)} must be a non-empty array or an object`);
    }
  }
}

function checkCondition(condition: unknown, where: string, path: string): void {
  if (isLiteral(condition)) return;
  const keys = isRecord(condition) ? Object.keys(condition) : [];
  const [op] = keys;
  if (!isRecord(condition) || keys.length !== 1 || op === undefined)
    throw new Error(`${where}: ${path} has a condition that is neither a literal nor a one-key operator`);
  const arg = condition[op];
  const ok =
    op === 'prefix'
      ? typeof arg === 'string'
      : op === 'exists'
        ? typeof arg === 'boolean'
        : op === 'anything-but'
          ? isLiteral(arg) || (Array.isArray(arg) && arg.every(isLiteral)) || (isRecord(arg) && Object.keys(arg).length === 1 && typeof arg.prefix === 'string')
          : false;
  if (!ok) throw new Error(`${where}: ${path} uses ${JSON.stringify(condition)}, which is not simulated (only prefix, anything-but and exists)`);
}

/** Whether `event` (the full envelope: source, detail-type, detail, …) matches `pattern`. */
export function matchesEventPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    const field = isRecord(event) ? event[key] : undefined;
    if (Array.isArray(sub)) return sub.some((condition) => matchesCondition(condition, leafValues(field)));
    if (!isRecord(sub)) return false;
    // An array of objects matches when one of its elements does.
    if (Array.isArray(field) && field.length > 0) return field.some((element) => matchesEventPattern(sub, element));
    return matchesEventPattern(sub, field);
  });
}

/** The leaf values at a field: none when absent or an object (exists applies to leaves only). */
function leafValues(field: unknown): Literal[] {
  if (isLiteral(field)) return [field];
  if (Array.isArray(field)) return field.filter(isLiteral);
  return [];
}

function matchesCondition(condition: unknown, values: readonly Literal[]): boolean {
  if (isLiteral(condition)) return values.some((v) => v === condition);
  if (!isRecord(condition)) return false;
  if ('exists' in condition) return condition.exists === true ? values.length > 0 : values.length === 0;
  const { prefix } = condition;
  if (typeof prefix === 'string') return values.some((v) => typeof v === 'string' && v.startsWith(prefix));
  if ('anything-but' in condition) {
    const but = condition['anything-but'];
    // Like every condition but exists:false, anything-but needs a value to be there.
    return values.some((v) => !excludedBy(but, v));
  }
  return false;
}

function excludedBy(but: unknown, value: Literal): boolean {
  if (Array.isArray(but)) return but.includes(value);
  if (isRecord(but)) return typeof but.prefix === 'string' && typeof value === 'string' && value.startsWith(but.prefix);
  return but === value;
}
