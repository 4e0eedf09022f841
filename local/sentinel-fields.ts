/**
 * Sentinel's field lists (SENTINEL MASTER/MASTERS, REPLICAS, INFO's masterN line) from what a
 * voter sees, with Sentinel 7.0's names, order and flags, numbers as decimal strings and times
 * as milliseconds ago. Clients read these: redis-py's `master_for` needs `num-other-sentinels`
 * and the flags, node-redis and ioredis skip replicas flagged `s_down` or `disconnected`.
 */
import type { InstanceView } from '../lambdas/core/detection.ts';
import type { Fields } from './resp.ts';

export type { InstanceView } from '../lambdas/core/detection.ts';

export interface MasterView extends InstanceView {
  readonly name: string;
  readonly epoch: number;
  readonly quorum: number;
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  readonly parallelSyncs: number;
  readonly replicas: number;
  /** Objectively down as this voter judged it (the quorum of votes), and since when. */
  readonly odownSince: number | null;
  /** Sentinel's failover-state while a failover holds the lease (`wait_promotion`, `reconf_slaves`…), else null. */
  readonly failoverState: string | null;
  /** Until when a maintenance pause holds automatic failovers back (ms), or null. @default null */
  readonly pausedUntil?: number | null;
}

/** Sentinel's flag order (sentinel.c): s_down, o_down, the role, disconnected, failover_in_progress. */
export function flags(role: 'master' | 'slave', view: InstanceView, failoverInProgress = false, odown = false): string {
  const watch = view.watch;
  return [watch?.sdownSince != null && 's_down', odown && 'o_down', role, view.disconnected && 'disconnected', failoverInProgress && 'failover_in_progress']
    .filter(Boolean)
    .join(',');
}

interface Optional {
  readonly failoverState?: string | null;
  readonly odownSince?: number | null;
}

/**
 * The fields every instance has, up to `role-reported-time`, with the optional ones where
 * Sentinel puts them. Before any INFO the role reported is the role Sentinel assumed.
 */
function common(
  name: string,
  role: 'master' | 'slave',
  view: InstanceView,
  flagText: string,
  downAfterMs: number,
  now: number,
  optional: Optional,
): Array<[string, string]> {
  const watch = view.watch;
  const ago = (at: number | null | undefined) => (at == null ? '0' : String(Math.max(0, now - at)));
  const reported = view.info?.role ?? watch?.reportedRole ?? 'unknown';
  const list: Array<[string, string]> = [
    ['name', name],
    ['ip', view.address.host],
    ['port', String(view.address.port)],
    ['runid', view.info?.runId ?? watch?.runId ?? ''],
    ['flags', flagText],
    ['link-pending-commands', '0'],
    ['link-refcount', '1'],
  ];
  if (optional.failoverState) list.push(['failover-state', optional.failoverState]);
  list.push(
    ['last-ping-sent', ago(watch?.pendingPingSince)],
    ['last-ok-ping-reply', ago(watch?.lastAcceptableReplyAt)],
    ['last-ping-reply', ago(watch?.lastAcceptableReplyAt)],
  );
  if (watch?.sdownSince != null) list.push(['s-down-time', ago(watch.sdownSince)]);
  if (optional.odownSince != null) list.push(['o-down-time', ago(optional.odownSince)]);
  list.push(
    ['down-after-milliseconds', String(downAfterMs)],
    ['info-refresh', ago(view.infoAt)],
    ['role-reported', reported === 'unknown' ? role : reported],
    ['role-reported-time', ago(watch?.roleSince)],
  );
  return list;
}

/** SENTINEL MASTER: 20 fields for a healthy master, as Sentinel 7.0 sends them. */
export function masterFields(view: MasterView, now: number): Fields {
  const paused = view.pausedUntil != null;
  // `paused` is this project's flag, after Sentinel's own (clients look for the ones they know).
  const flagText = flags('master', view, view.failoverState !== null, view.odownSince !== null) + (paused ? ',paused' : '');
  return [
    ...common(view.name, 'master', view, flagText, view.downAfterMs, now, { failoverState: view.failoverState, odownSince: view.odownSince }),
    ['config-epoch', String(view.epoch)],
    ['num-slaves', String(view.replicas)],
    // No other Sentinel a client could ask: the voters answer here only.
    ['num-other-sentinels', '0'],
    ['quorum', String(view.quorum)],
    ['failover-timeout', String(view.failoverTimeoutMs)],
    ['parallel-syncs', String(view.parallelSyncs)],
    ...(paused ? ([['paused-until', new Date(view.pausedUntil!).toISOString()]] as Array<[string, string]>) : []),
  ];
}

/** One entry of SENTINEL REPLICAS: 21 fields, as Sentinel 7.0 sends them. */
export function replicaFields(view: InstanceView, downAfterMs: number, now: number): Fields {
  const info = view.info;
  const linkDownSeconds = info?.masterLinkDownSinceSeconds ?? null;
  return [
    ...common(`${view.address.host}:${view.address.port}`, 'slave', view, flags('slave', view), downAfterMs, now, {}),
    // Sentinel reports the link's down time in milliseconds; INFO says seconds.
    ['master-link-down-time', String(info?.masterLinkUp === false && linkDownSeconds !== null ? linkDownSeconds * 1000 : 0)],
    ['master-link-status', info?.masterLinkUp ? 'ok' : 'err'],
    ['master-host', info?.masterHost ?? '?'],
    ['master-port', String(info?.masterPort ?? 0)],
    ['slave-priority', String(info?.replicaPriority ?? 100)],
    ['slave-repl-offset', String(info?.replOffset ?? 0)],
    ['replica-announced', '1'],
  ];
}

/** INFO's `masterN:` line: `name=mymaster,status=ok,address=…,slaves=2,sentinels=1`. */
export function infoMasterLine(index: number, view: MasterView): string {
  const status = view.odownSince !== null ? 'odown' : view.watch?.sdownSince != null ? 'sdown' : 'ok';
  return `master${index}:name=${view.name},status=${status},address=${view.address.host}:${view.address.port},slaves=${view.replicas},sentinels=1`;
}
