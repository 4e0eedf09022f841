/**
 * Sentinel's events: the names and the exact message texts an operator knows from
 * Sentinel's pub/sub channels (Redis' sentinel.c; the list in docs/events.md), plus structured fields for
 * EventBridge rules. Pure: no I/O.
 */
import type { RecordSet } from './endpoints.ts';
import type { Address, MasterRef } from './types.ts';

/** The `source` of every event put on EventBridge: a rule matches on it (lib/event-delivery.ts). */
export const EVENT_SOURCE = 'io.github.redis-failover';

/** Every event name this project publishes, in failover order (Sentinel's own names). */
export const SENTINEL_EVENTS = [
  '+sdown',
  '-sdown',
  '+odown',
  '-odown',
  '+new-epoch',
  '+try-failover',
  '+elected-leader',
  '+failover-triggered',
  '+failover-state-wait-start',
  '+failover-state-select-slave',
  '-failover-abort-no-good-slave',
  '+selected-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '-failover-abort-slave-timeout',
  '+promoted-slave',
  '+failover-state-reconf-slaves',
  '+slave-reconf-sent',
  '+slave-reconf-inprog',
  '+slave-reconf-done',
  '-slave-reconf-sent-timeout',
  '+slave-reconf-sent-be',
  '+failover-end-for-timeout',
  '+failover-end',
  '+switch-master',
  '+convert-to-slave',
  '+fix-slave-config',
  '+reboot',
  '+slave',
  '+monitor',
  // This project's own, beyond Sentinel: the DNS endpoints (core/endpoints.ts),
  '+dns-update',
  '+fix-dns-record',
  // the maintenance pause (no automatic failover while it lasts; ODOWN meanwhile says +failover-held),
  '+pause',
  '-pause',
  '+failover-held',
  // and the pre-failover veto (docs/failover.md): asked after the selection, before any server is touched.
  '+failover-approval-requested',
  '+failover-approved',
  '+failover-approval-timeout',
  '-failover-abort-vetoed',
  '-failover-abort-approval-timeout',
] as const;

export type SentinelEventName = (typeof SENTINEL_EVENTS)[number];

/** The instance an event is about, as Sentinel names it (a replica's name is `ip:port`). */
export interface EventInstance extends Address {
  readonly type: 'master' | 'slave';
  readonly name: string;
}

/** Structured fields of an event (EventBridge `detail`, besides `message`). */
export interface EventDetail {
  /** Name of the master concerned. */
  readonly master: string;
  readonly epoch?: number;
  /** Step Functions execution name of the failover, when inside one. */
  readonly execution?: string;
  readonly instance?: EventInstance;
  /** The master's address as known when the event was raised. */
  readonly masterAddress?: Address;
  /** `+switch-master` only. */
  readonly oldMaster?: Address;
  readonly newMaster?: Address;
  /** `+odown` (votes and quorum) and `+monitor` (quorum). */
  readonly quorum?: { readonly votes?: number; readonly quorum: number };
  /** The voter (probe) whose view this is, for detection events: each voter speaks for itself, as each Sentinel does. */
  readonly voter?: string;
  /** Why, in words (aborts, timeouts). */
  readonly reason?: string;
  /** `+dns-update` and `+fix-dns-record`: the record as written. */
  readonly record?: RecordSet;
  /** `+pause`, `-pause` and `+failover-held`: the pause. */
  readonly pause?: PauseDetail;
  /** `+failover-approval-requested`: what to answer, and by when. */
  readonly approval?: ApprovalDetail;
}

export interface PauseDetail {
  readonly since: string;
  readonly until: string;
  readonly reason: string;
  readonly by: string;
}

export interface ApprovalDetail {
  /** Step Functions' task token: answer with SendTaskSuccess (go ahead) or SendTaskFailure (veto). */
  readonly taskToken: string;
  /** The replica the workflow selected and would promote. */
  readonly candidate: Address;
  readonly timeoutSeconds: number;
  /** What happens when nobody answers in time. */
  readonly onTimeout: 'proceed' | 'abort';
}

export interface SentinelEvent {
  readonly type: SentinelEventName;
  readonly master: string;
  /** Sentinel's payload text, without the event name. */
  readonly message: string;
  /** ISO 8601. */
  readonly time: string;
  readonly detail: EventDetail;
}

export interface EventContext {
  readonly epoch?: number;
  readonly execution?: string;
  readonly reason?: string;
  /** Defaults to the current time. */
  readonly now?: Date;
}

const addr = (a: Address): Address => ({ host: a.host, port: a.port });

/** `master mymaster 10.0.0.1 6379`: Sentinel's `%@` for a master. */
function masterText(m: MasterRef): string {
  return `master ${m.name} ${m.host} ${m.port}`;
}

/** `slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379`: `%@` for a replica. */
function replicaText(r: Address, m: MasterRef): string {
  return `slave ${r.host}:${r.port} ${r.host} ${r.port} @ ${m.name} ${m.host} ${m.port}`;
}

function build(type: SentinelEventName, master: MasterRef, message: string, fields: Omit<EventDetail, 'master'>, ctx: EventContext): SentinelEvent {
  const detail: EventDetail = {
    master: master.name,
    ...(ctx.epoch !== undefined && { epoch: ctx.epoch }),
    ...(ctx.execution !== undefined && { execution: ctx.execution }),
    ...fields,
    ...(ctx.reason !== undefined && { reason: ctx.reason }),
  };
  return { type, master: master.name, message, time: (ctx.now ?? new Date()).toISOString(), detail };
}

const masterFields = (m: MasterRef) => ({
  instance: { type: 'master' as const, name: m.name, host: m.host, port: m.port },
  masterAddress: addr(m),
});

/**
 * An event about the master itself: `+sdown master mymaster 10.0.0.1 6379`.
 * `+switch-master`, `+odown`, `+new-epoch` and `+monitor` have their own builders below.
 */
export function masterEvent(type: SentinelEventName, master: MasterRef, ctx: EventContext = {}): SentinelEvent {
  return build(type, master, masterText(master), masterFields(master), ctx);
}

/** An event about a replica; the `@` part names `master` at the address given. */
export function replicaEvent(type: SentinelEventName, replica: Address, master: MasterRef, ctx: EventContext = {}): SentinelEvent {
  const instance = { type: 'slave' as const, name: `${replica.host}:${replica.port}`, host: replica.host, port: replica.port };
  return build(type, master, replicaText(replica, master), { instance, masterAddress: addr(master) }, ctx);
}

/** `+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379`; `master` holds the old address. */
export function switchMasterEvent(master: MasterRef, newMaster: Address, ctx: EventContext = {}): SentinelEvent {
  const message = `${master.name} ${master.host} ${master.port} ${newMaster.host} ${newMaster.port}`;
  return build('+switch-master', master, message, { oldMaster: addr(master), newMaster: addr(newMaster) }, ctx);
}

/** `+odown master mymaster 10.0.0.1 6379 #quorum 2/2`. */
export function odownEvent(master: MasterRef, votes: number, quorum: number, ctx: EventContext = {}): SentinelEvent {
  const message = `${masterText(master)} #quorum ${votes}/${quorum}`;
  return build('+odown', master, message, { ...masterFields(master), quorum: { votes, quorum } }, ctx);
}

/** `+new-epoch 5`: the payload is the epoch alone. */
export function newEpochEvent(master: MasterRef, epoch: number, ctx: EventContext = {}): SentinelEvent {
  return build('+new-epoch', master, String(epoch), { masterAddress: addr(master) }, { ...ctx, epoch });
}

/** `+monitor master mymaster 10.0.0.1 6379 quorum 2`. */
export function monitorEvent(master: MasterRef, quorum: number, ctx: EventContext = {}): SentinelEvent {
  return build('+monitor', master, `${masterText(master)} quorum ${quorum}`, { ...masterFields(master), quorum: { quorum } }, ctx);
}

/**
 * `+dns-update mymaster.redis.internal A 10.0.0.2 @ mymaster 10.0.0.1 6379`: a record written,
 * by the workflow at the promotion or (`+fix-dns-record`) by a voter putting back what disagreed.
 */
export function recordEvent(type: '+dns-update' | '+fix-dns-record', master: MasterRef, record: RecordSet, ctx: EventContext = {}): SentinelEvent {
  const message = `${record.name} ${record.type} ${record.values.join(',')} @ ${master.name} ${master.host} ${master.port}`;
  return build(type, master, message, { masterAddress: addr(master), record: { ...record, values: [...record.values] } }, ctx);
}

/**
 * `+pause master mymaster 10.0.0.1 6379 until 2026-01-01T00:30:00.000Z (kernel upgrade)`, `-pause … resumed`
 * (or `expired`), and `+failover-held … paused until …` when the voters judge it ODOWN meanwhile.
 */
export function pauseEvent(
  type: '+pause' | '-pause' | '+failover-held',
  master: MasterRef,
  pause: { since: number; until: number; reason: string; by: string },
  ctx: EventContext & { ended?: 'resumed' | 'expired' } = {},
): SentinelEvent {
  const until = new Date(pause.until).toISOString();
  const tail = type === '-pause' ? (ctx.ended ?? 'resumed') : `${type === '+failover-held' ? 'paused ' : ''}until ${until} (${pause.reason})`;
  const detail = { since: new Date(pause.since).toISOString(), until, reason: pause.reason, by: pause.by };
  return build(type, master, `${masterText(master)} ${tail}`, { ...masterFields(master), pause: detail }, ctx);
}

/**
 * `+failover-approval-requested master mymaster 10.0.0.1 6379 candidate 10.0.0.2:6380 timeout 30 s then abort`:
 * the detail carries the task token to answer with.
 */
export function approvalEvent(master: MasterRef, approval: ApprovalDetail, ctx: EventContext = {}): SentinelEvent {
  const { candidate, timeoutSeconds, onTimeout } = approval;
  const message = `${masterText(master)} candidate ${candidate.host}:${candidate.port} timeout ${timeoutSeconds} s then ${onTimeout}`;
  return build('+failover-approval-requested', master, message, { ...masterFields(master), approval: { ...approval, candidate: addr(candidate) } }, ctx);
}

/** One line as Sentinel logs it: `[time] +switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380`. */
export function formatEventLine(e: SentinelEvent, timestamps = true): string {
  const line = `${e.type} ${e.message}`;
  return timestamps ? `[${e.time}] ${line}` : line;
}
