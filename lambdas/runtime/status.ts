/**
 * `redis-failover status` (the request function's `status`): each master group as the table and
 * the servers tell it now: the master of record and its epoch, each replica's role, link and lag,
 * the voters still voting and what they hold, the pause, the failover in progress.
 */
import { addressKey, distinctAddresses } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import type { Clock, FailoverStore, RedisLinkOptions } from '../core/interfaces.ts';
import { masterForClients, pauseInForce, type MasterRecord } from '../core/store.ts';
import type { Address } from '../core/types.ts';
import { observeReplica } from './observe.ts';
import { masterRecord } from './seed.ts';
import { mastersNamed } from './maintenance.ts';

export interface StatusDeps extends Clock {
  readonly masters: readonly MasterConfig[];
  readonly store: FailoverStore;
  readonly linkOptions: (masterName: string) => Promise<RedisLinkOptions>;
  /**
   * Which voters run now (locally the voters in the process; on AWS the probes' sessions). A
   * voter writes its vote only when its opinion changes, so votes alone do not say who runs.
   * @default - none known: the votes alone
   */
  readonly voters?: () => Promise<ReadonlyArray<{ readonly voter: string; readonly alive: boolean }>>;
}

export interface ServerStatus extends Address {
  readonly reachable: boolean;
  /** The role the server reports (INFO), null when unreachable. */
  readonly role: 'master' | 'slave' | 'unknown' | null;
}

export interface ReplicaStatus extends ServerStatus {
  /** `host:port` of the master it follows, as it reports it. */
  readonly following: string | null;
  readonly link: 'up' | 'down' | null;
  /** Bytes behind the master's offset (or, with the master unreachable, behind the best replica's). */
  readonly lagBytes: number | null;
  /** `master_last_io_seconds_ago`: how long it has heard nothing from its master. */
  readonly lastIoSeconds: number | null;
  readonly priority: number | null;
}

export interface VoterStatus {
  readonly voter: string;
  /** The voter runs now. */
  readonly alive: boolean;
  /** What its vote holds of the master of record: down (an SDOWN vote still valid), else up. */
  readonly opinion: 'up' | 'sdown';
  /** When it last wrote its vote (it writes on a change, and keeps an SDOWN fresh); null: never. */
  readonly votedAt: string | null;
}

export interface MasterStatus {
  readonly name: string;
  /** The master of record, as the server answers now. */
  readonly master: ServerStatus;
  /** What GET-MASTER-ADDR-BY-NAME answers (the promoted replica once a running failover confirmed it). */
  readonly clientsGiven: Address;
  readonly epoch: number;
  readonly quorum: number;
  readonly voters: readonly VoterStatus[];
  /** Voters alive holding the master down reach the quorum. */
  readonly odown: boolean;
  readonly replicas: readonly ReplicaStatus[];
  readonly pause: { readonly since: string; readonly until: string; readonly reason: string; readonly by: string } | null;
  /** The failover holding the lease now, null when none does. */
  readonly failover: { readonly execution: string; readonly epoch: number; readonly leader: string; readonly startedAt: string } | null;
  readonly lastSwitchAt: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One master by name, or every master (`*`). */
export async function masterStatus(name: string, deps: StatusDeps): Promise<MasterStatus[]> {
  return Promise.all(mastersNamed(name, deps.masters).map((master) => statusOf(master, deps)));
}

async function statusOf(master: MasterConfig, deps: StatusDeps): Promise<MasterStatus> {
  const record = await masterRecord(master, deps);
  const [votes, known, linkOptions, running] = await Promise.all([
    deps.store.listVotes(master.name),
    deps.store.listReplicas(master.name),
    deps.linkOptions(master.name),
    deps.voters?.() ?? Promise.resolve(null),
  ]);
  const now = deps.now();
  const replicas = distinctAddresses(known, [record]);
  const [masterSeen, ...replicasSeen] = await Promise.all([record, ...replicas].map((a) => observeReplica(a, linkOptions)));
  const masterOffset = masterSeen?.info?.role === 'master' ? masterSeen.info.replOffset : null;
  const best = Math.max(...replicasSeen.map((r) => r.info?.replOffset ?? 0), 0);
  const reference = masterOffset ?? best;
  const about = addressKey(record);
  const current = new Map(votes.filter((v) => v.about === null || v.about === about).map((v) => [v.voter, v]));
  const ids = running ? running.map((r) => r.voter) : [...current.keys()];
  const voters = [...new Set(ids)].sort().map((voter): VoterStatus => {
    const vote = current.get(voter);
    const alive = running ? running.some((r) => r.voter === voter && r.alive) : vote !== undefined && vote.expiresAt >= now;
    const down = vote !== undefined && vote.sdownSince !== null && vote.expiresAt >= now;
    return { voter, alive, opinion: down ? 'sdown' : 'up', votedAt: vote ? iso(vote.observedAt) : null };
  });
  return {
    name: master.name,
    master: { host: record.host, port: record.port, reachable: masterSeen?.reachable ?? false, role: masterSeen?.info?.role ?? null },
    clientsGiven: masterForClients(record),
    epoch: record.epoch,
    quorum: master.quorum,
    voters,
    odown: voters.filter((v) => v.alive && v.opinion === 'sdown').length >= master.quorum,
    replicas: replicasSeen.map((seen): ReplicaStatus => {
      const info = seen.info;
      const following = info?.role === 'slave' && info.masterHost !== null ? `${info.masterHost}:${info.masterPort}` : null;
      return {
        ...seen.address,
        reachable: seen.reachable,
        role: info?.role ?? null,
        following,
        link: info?.role === 'slave' ? (info.masterLinkUp ? 'up' : 'down') : null,
        lagBytes: info && info.role === 'slave' ? Math.max(0, reference - info.replOffset) : null,
        lastIoSeconds: info?.masterLastIoSeconds ?? null,
        priority: info?.replicaPriority ?? null,
      };
    }),
    pause: pauseOf(record, now),
    failover: leaseOf(record, now),
    lastSwitchAt: record.switchedAt === null ? null : iso(record.switchedAt),
  };
}

function pauseOf(record: MasterRecord, now: number): MasterStatus['pause'] {
  const pause = pauseInForce(record, now);
  return pause && { since: iso(pause.since), until: iso(pause.until), reason: pause.reason, by: pause.by };
}

function leaseOf(record: MasterRecord, now: number): MasterStatus['failover'] {
  const lease = record.failover;
  if (lease === null || lease.leaseExpiresAt < now) return null;
  return { execution: lease.execution, epoch: lease.epoch, leader: lease.leader, startedAt: iso(lease.startedAt) };
}
