import type { Address, ConnectedReplica, ReplicationInfo } from './types.ts';

/** Redis' default `replica-priority`, used when INFO does not report one. */
const DEFAULT_REPLICA_PRIORITY = 100;

/** A finite number from an INFO value, or null (absent, empty, garbage). */
function toNumber(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Splits INFO text into `key → value`. Section headers (`# Replication`), blank lines and
 * lines without a colon are skipped; the value is everything after the first colon
 * (`slave0:ip=::1,…` keeps its IPv6 colons). A repeated key keeps its last value.
 */
export function parseInfoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/**
 * Parses the value of a master's `slaveN` line (`ip=127.0.0.1,port=6380,state=online,offset=52,lag=0`).
 * Returns null when ip or port is missing or unusable; other fields default (state '', offset 0, lag null).
 */
export function parseReplicaLine(value: string): ConnectedReplica | null {
  const parts = new Map<string, string>();
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) parts.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  const host = parts.get('ip');
  const port = toNumber(parts.get('port'));
  if (host === undefined || host === '' || port === null || !Number.isInteger(port) || port <= 0) return null;
  return {
    host,
    port,
    state: parts.get('state') ?? '',
    offset: toNumber(parts.get('offset')) ?? 0,
    lag: toNumber(parts.get('lag')),
  };
}

/** Parses the reply of a plain `INFO` (all sections). Never throws: unknown or garbled lines are ignored. */
export function parseInfo(text: string): ReplicationInfo {
  const f = parseInfoFields(text);
  const rawRole = f.get('role');
  const role = rawRole === 'master' || rawRole === 'slave' ? rawRole : 'unknown';

  // A replica reports its own progress as slave_repl_offset; its master_repl_offset is
  // what it would serve to sub-replicas. For an unknown role take whichever exists.
  const offset =
    role === 'master'
      ? toNumber(f.get('master_repl_offset'))
      : role === 'slave'
        ? toNumber(f.get('slave_repl_offset'))
        : (toNumber(f.get('slave_repl_offset')) ?? toNumber(f.get('master_repl_offset')));

  const masterLinkUp = f.get('master_link_status') === 'up';
  // Redis prints master_link_down_since_seconds only while the link is down, and -1 when
  // the replica has never been connected since it started (or while it loads its first
  // sync). Unlike Sentinel, which reads -1 as "-1 s" and keeps such a replica, we treat
  // "down, and never up / unknown since when" as down forever: Infinity, so the
  // link-down limit always excludes it. Note JSON turns Infinity into null; selection
  // therefore also reads "link down with null" as forever.
  let masterLinkDownSinceSeconds: number | null = null;
  if (role === 'slave' && !masterLinkUp) {
    const since = toNumber(f.get('master_link_down_since_seconds'));
    masterLinkDownSinceSeconds = since === null || since < 0 ? Number.POSITIVE_INFINITY : since;
  }

  const connectedReplicas: ConnectedReplica[] = [];
  for (const [key, value] of f) {
    if (!/^slave\d+$/.test(key)) continue;
    const replica = parseReplicaLine(value);
    if (replica !== null) connectedReplicas.push(replica);
  }

  const masterHost = f.get('master_host');
  return {
    role,
    runId: f.get('run_id') || null,
    replicaPriority: toNumber(f.get('replica_priority')) ?? toNumber(f.get('slave_priority')) ?? DEFAULT_REPLICA_PRIORITY,
    replOffset: offset ?? 0,
    masterHost: masterHost === undefined || masterHost === '' ? null : masterHost,
    masterPort: toNumber(f.get('master_port')),
    masterLinkUp,
    masterLinkDownSinceSeconds,
    masterLastIoSeconds: role === 'slave' && masterLinkUp ? (toNumber(f.get('master_last_io_seconds_ago')) ?? null) : null,
    connectedReplicas,
    loading: f.get('loading') === '1',
    minReplicasGood: f.has('min_slaves_good_slaves') ? Number(f.get('min_slaves_good_slaves')) : null,
    failoverState: f.get('master_failover_state') ?? null,
  };
}

/** True when `info` is a replica configured to follow `master` (role slave, same host and port). */
export function followsMaster(info: ReplicationInfo, master: Address): boolean {
  return info.role === 'slave' && info.masterHost === master.host && info.masterPort === master.port;
}
