/**
 * One voter's watch over one master group: PING and INFO every instance, hold SDOWN
 * opinions, vote, see ODOWN, run for leadership, and repair the topology afterwards
 * (+convert-to-slave, +fix-slave-config). The rules are the pure functions of
 * core/detection.ts; this file is the timing and the I/O around them.
 */
import { sameHost } from '../adapters/dns.ts';
import { PollingLink, RedisAuthError, type RedisLinkOptions } from '../adapters/redis.ts';
import { addressKey, sameAddress } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import {
  evaluateOdown,
  evaluateSdown,
  masterDownSince,
  newWatch,
  onInfoRole,
  onPingReply,
  shouldKillScript,
  onRunId,
  pingPeriodMs,
  VOTE_VALIDITY_MS,
  type InstanceWatch,
} from '../core/detection.ts';
import { masterEvent, odownEvent, replicaEvent, type SentinelEvent, type SentinelEventName } from '../core/events.ts';
import { followsMaster } from '../core/info.ts';
import type { MasterRecord } from '../core/store.ts';
import type { Address, MasterRef, ReplicationInfo } from '../core/types.ts';
import { leadFailover, leaseAbandoned, type LeaderDeps } from './leadership.ts';
import { masterRecord } from './seed.ts';

/** Fault injection, the equivalent of `SENTINEL SIMULATE-FAILURE`. */
export interface VoterFaults {
  /** This voter gets no reply from these servers (its own view only). */
  readonly unreachable?: (address: Address) => boolean;
  /** Crash right after winning the election of this epoch, before starting the workflow. */
  readonly crashAfterElection?: (epoch: number) => boolean;
}

export interface VoterDeps extends LeaderDeps {
  readonly voterId: string;
  readonly faults?: VoterFaults;
  /** Human notes (leadership lost, attempts blocked); never secrets. */
  readonly log?: (line: string) => void;
  /**
   * Notes about the servers' configuration (refused credentials, a name that does not resolve,
   * no min-replicas-to-write): every voter finds the same. Each Lambda voter writes its own log,
   * so there they go to `log`; voters sharing one process say each once (see local/orchestrator.ts).
   * @default log
   */
  readonly notice?: (line: string) => void;
}

/** Thrown out of a tick when a fault asks the voter to die. */
export class VoterCrash extends Error {
  override name = 'VoterCrash';
}

/** INFO cadence: Sentinel uses 10 s, and 1 s around failovers; 1 s always costs Redis nothing. */
const INFO_PERIOD_MS = 1000;
/** Reading the record and replicas: often while something is wrong, rarely when all is well (that is the running cost). */
const RECORD_REFRESH_HEALTHY_MS = 5000;
const RECORD_REFRESH_ALERT_MS = 250;
/** Votes are read at most this often while this voter holds SDOWN (Sentinel asks other Sentinels every second). */
const VOTES_READ_PAUSE_MS = 100;
/** A held SDOWN vote is rewritten this often, well inside its validity. */
const VOTE_REFRESH_MS = 1000;
/** Pause between two repairs of the same server. */
const REPAIR_PAUSE_MS = 1000;
const STATUS_PAUSE_MS = 1000;

interface Instance {
  readonly address: Address;
  readonly link: PollingLink;
  watch: InstanceWatch;
  info: ReplicationInfo | null;
  pinging: boolean;
  infoing: boolean;
  lastPingAt: number;
  lastInfoAt: number;
  wrongMasterSince: number | null;
  lastRepairAt: number;
  /** SCRIPT KILL sent during this SDOWN (Sentinel's SRI_SCRIPT_KILL_SENT). */
  scriptKillSent: boolean;
}

export class MasterWatch {
  readonly periodMs: number;
  private record: MasterRecord | null = null;
  private readonly instances = new Map<string, Instance>();
  private replicas: Address[] = [];
  private lastRefreshAt = 0;
  private votedSdownSince: number | null = null;
  private lastVoteAt = 0;
  private odown = false;
  /** `<epoch>@<host>:<port>` of the last leadership attempt: one try per epoch and master seen. */
  private lastAttempt: string | null = null;
  private lastStatusAt = 0;
  private blockedUntil = 0;
  private lastVotesReadAt = 0;
  private readonly fenceWarned = new Set<string>();
  /** The configuration problem last said for each server (unresolvable name, refused credentials). */
  private readonly reported = new Map<string, string>();
  private linkOptions: RedisLinkOptions | null = null;
  /** Ticks run so far: lets tests wait for "enough observation" without sleeping. */
  ticks = 0;

  constructor(
    readonly config: MasterConfig,
    private readonly deps: VoterDeps,
  ) {
    this.periodMs = pingPeriodMs(config.downAfterMs);
  }

  /** The master of record, as this voter last read it. */
  get current(): MasterRef | null {
    return this.record ? { name: this.record.name, host: this.record.host, port: this.record.port } : null;
  }

  async tick(): Promise<void> {
    this.ticks++;
    const now = this.deps.now();
    this.linkOptions ??= await this.deps.linkOptions(this.config.name);
    await this.refresh(now);
    const record = this.record;
    if (!record) return;

    for (const instance of this.instances.values()) this.kick(instance, now);
    const events: SentinelEvent[] = [];
    for (const instance of this.instances.values()) {
      const isMaster = sameAddress(instance.address, record);
      const verdict = evaluateSdown(instance.watch, now, {
        downAfterMs: this.config.downAfterMs,
        expectMaster: isMaster,
        infoPeriodMs: INFO_PERIOD_MS,
        masterRebootDownAfterMs: this.config.masterRebootDownAfterMs,
      });
      instance.watch = verdict.watch;
      if (verdict.event) events.push(isMaster ? masterEvent(verdict.event, this.ref()) : replicaEvent(verdict.event, instance.address, this.ref()));
    }
    await this.publish(events);

    const master = this.instances.get(addressKey(record));
    if (!master) return;
    await this.vote(master.watch.sdownSince, now);
    if (master.watch.sdownSince !== null) await this.judge(now);
    else if (this.odown) {
      this.odown = false;
      await this.publish([masterEvent('-odown', this.ref())]);
    }
    if (record.failover === null && master.watch.sdownSince === null && master.info?.role === 'master') await this.repair(now);
  }

  async close(): Promise<void> {
    await Promise.all([...this.instances.values()].map((i) => i.link.close()));
  }

  private ref(): MasterRef {
    const record = this.record!;
    return { name: record.name, host: record.host, port: record.port };
  }

  /** Reads the master of record and its known replicas; keeps one Instance per server. */
  private async refresh(now: number): Promise<void> {
    const alert = this.odown || this.record?.failover || this.votedSdownSince !== null;
    if (this.record && now - this.lastRefreshAt < (alert ? RECORD_REFRESH_ALERT_MS : RECORD_REFRESH_HEALTHY_MS)) return;
    this.lastRefreshAt = now;
    await this.adopt(await masterRecord(this.config, this.deps), now);
    this.replicas = (await this.deps.store.listReplicas(this.config.name)).map(({ host, port }) => ({ host, port }));
    const wanted = [this.record!, ...this.replicas];
    for (const address of wanted) {
      const key = addressKey(address);
      if (!this.instances.has(key)) this.instances.set(key, this.instance(address, now));
    }
    for (const [key, instance] of this.instances) {
      if (!wanted.some((a) => addressKey(a) === key)) {
        await instance.link.close();
        this.instances.delete(key);
      }
    }
  }

  /** Takes a record read from the table; a new master of record voids every opinion about the old one. */
  private async adopt(record: MasterRecord, now: number): Promise<void> {
    const previous = this.record;
    this.record = record;
    if (!previous || sameAddress(previous, record)) return;
    this.odown = false;
    this.lastAttempt = null;
    this.lastRefreshAt = 0; // its replicas too, at the next tick
    await this.vote(null, now);
  }

  private instance(address: Address, now: number): Instance {
    return {
      address: { host: address.host, port: address.port },
      link: new PollingLink(address, { ...this.linkOptions, connectTimeoutMs: 1000, commandTimeoutMs: 1000 }),
      watch: newWatch(now),
      info: null,
      pinging: false,
      infoing: false,
      lastPingAt: 0,
      lastInfoAt: 0,
      wrongMasterSince: null,
      lastRepairAt: 0,
      scriptKillSent: false,
    };
  }

  /** Fires PING and INFO without waiting: a hung server must not slow the tick (Sentinel's links are asynchronous too). */
  private kick(instance: Instance, now: number): void {
    if (this.deps.faults?.unreachable?.(instance.address)) return;
    if (!instance.pinging && now - instance.lastPingAt >= this.periodMs) {
      instance.pinging = true;
      instance.lastPingAt = now;
      void instance.link
        .use((l) => l.pingReply())
        .then((reply) => {
          instance.watch = onPingReply(instance.watch, reply ?? 'error', this.deps.now());
          this.reportLinkProblem(instance, null);
          if (instance.watch.sdownSince === null) instance.scriptKillSent = false;
          if (reply && shouldKillScript(instance.watch, reply, instance.scriptKillSent)) this.killScript(instance);
        })
        .catch((error: unknown) => {
          // It answered: a configuration problem to report, not a dead server (see PingReply).
          if (error instanceof RedisAuthError) instance.watch = onPingReply(instance.watch, 'refused', this.deps.now());
          this.reportLinkProblem(instance, error);
        })
        .finally(() => (instance.pinging = false));
    }
    if (!instance.infoing && now - instance.lastInfoAt >= INFO_PERIOD_MS) {
      instance.infoing = true;
      instance.lastInfoAt = now;
      void instance.link
        .use((l) => l.info())
        .then(async (info) => {
          if (!info) return;
          instance.info = info;
          const now = this.deps.now();
          const isMaster = this.record !== null && sameAddress(instance.address, this.record);
          const seen = onRunId(onInfoRole(instance.watch, info.role, now), info.runId, now, isMaster && this.config.masterRebootDownAfterMs > 0);
          instance.watch = seen.watch;
          if (seen.rebooted) await this.publish([isMaster ? masterEvent('+reboot', this.ref()) : replicaEvent('+reboot', instance.address, this.ref())]);
          if (isMaster && info.role === 'master') await this.discover(info);
        })
        .catch((error: unknown) => {
          if (error instanceof RedisAuthError) this.reportLinkProblem(instance, error);
          else this.deps.log?.(`${this.config.name}: INFO of ${addressKey(instance.address)} failed: ${String(error)}`);
        })
        .finally(() => (instance.infoing = false));
    }
  }

  /** Fire and forget, like Sentinel: the PINGs that follow tell whether it worked. */
  private killScript(instance: Instance): void {
    instance.scriptKillSent = true;
    this.deps.log?.(`${this.config.name}: ${addressKey(instance.address)} answers -BUSY while SDOWN: sent SCRIPT KILL, as Sentinel does`);
    void instance.link.use((l) => l.killScript()).catch(() => undefined);
  }

  /**
   * A name that does not resolve, or credentials the server refuses, are configuration problems,
   * not a dead server: said once per server (again if it comes back after working), never per PING.
   */
  private reportLinkProblem(instance: Instance, error: unknown): void {
    const key = addressKey(instance.address);
    const failure = instance.link.lastFailure;
    let problem: string | null = null;
    if (error instanceof RedisAuthError) {
      problem = `${key} refused our credentials (${error.message.replace(/^.*refused authentication: /, '')}); check auth of master ${this.config.name}: until they work it is watched for replies only, and never failed over for this`;
    } else if (failure && /ENOTFOUND|EAI_AGAIN/.test(failure)) {
      problem = `cannot resolve ${instance.address.host} (${key}); it counts as down until it resolves`;
    }
    if (problem === null) {
      if (failure === null) this.reported.delete(key);
      return;
    }
    if (this.reported.get(key) === problem) return;
    this.reported.set(key, problem);
    this.notice(`${this.config.name}: ${problem}`);
  }

  private notice(line: string): void {
    (this.deps.notice ?? this.deps.log)?.(line);
  }

  /** Replicas the master reports: `+slave` once, said by whichever voter stores it first. */
  private async discover(info: ReplicationInfo): Promise<void> {
    this.checkFence(info);
    for (const replica of info.connectedReplicas) {
      if (this.replicas.some((known) => sameAddress(known, replica))) continue;
      const address = { host: replica.host, port: replica.port };
      this.replicas.push(address);
      const now = this.deps.now();
      if (!this.instances.has(addressKey(address))) this.instances.set(addressKey(address), this.instance(address, now));
      const added = await this.deps.store.addReplica(this.config.name, { ...address, runId: null, priority: 100, offset: replica.offset, lastSeenAt: now });
      if (added) await this.publish([replicaEvent('+slave', address, this.ref())]);
    }
  }

  /**
   * Says once per master why a partition can still lose writes: without min-replicas-to-write, a
   * master cut off from the voters but not from its clients takes writes until it is demoted.
   */
  private checkFence(info: ReplicationInfo): void {
    const key = addressKey(this.record!);
    if (info.minReplicasGood !== null || this.fenceWarned.has(key)) return;
    this.fenceWarned.add(key);
    this.notice(
      `${this.config.name}: min-replicas-to-write is not set on ${key}: cut off from the voters but not from its clients, it would take writes a failover discards (README: Fencing)`,
    );
  }

  /** Writes this voter's opinion when it changes, and keeps an SDOWN opinion fresh. */
  private async vote(sdownSince: number | null, now: number): Promise<void> {
    const changed = sdownSince !== this.votedSdownSince;
    const stale = sdownSince !== null && now - this.lastVoteAt >= VOTE_REFRESH_MS;
    if (!changed && !stale) return;
    await this.deps.store.putVote({ voter: this.deps.voterId, master: this.config.name, sdownSince, observedAt: now, expiresAt: now + VOTE_VALIDITY_MS });
    this.votedSdownSince = sdownSince;
    this.lastVoteAt = now;
  }

  /** While this voter holds the master SDOWN: count the votes, and on ODOWN run for leadership. */
  private async judge(now: number): Promise<void> {
    // At most every VOTES_READ_PAUSE_MS: a short down-after means a fast ping, not a table storm.
    if (now - this.lastVotesReadAt < VOTES_READ_PAUSE_MS) return;
    this.lastVotesReadAt = now;
    const votes = await this.deps.store.listVotes(this.config.name);
    const verdict = evaluateOdown(votes, this.config.quorum, now, this.odown);
    this.odown = verdict.odown;
    if (verdict.event === '+odown') await this.publish([odownEvent(this.ref(), verdict.votes, verdict.quorum)]);
    if (verdict.event === '-odown') await this.publish([masterEvent('-odown', this.ref())]);
    if (verdict.odown) await this.tryFailover(masterDownSince(votes, now), now);
  }

  private async tryFailover(downSince: number | null, now: number): Promise<void> {
    const record = this.record!;
    const takeOverEpoch = await this.deadLeaseEpoch(record, now);
    if (record.failover && record.failover.leaseExpiresAt >= now && takeOverEpoch === undefined) return; // someone leads it: wait for the switch
    const attempt = `${record.epoch}@${addressKey(record)}`;
    if (this.lastAttempt === attempt || now < this.blockedUntil) return; // one try per epoch and master seen; none while blocked
    this.lastAttempt = attempt;
    const twiceTimeout = 2 * this.config.failoverTimeoutMs;
    const result = await leadFailover(
      {
        master: this.config,
        record,
        leader: this.deps.voterId,
        now,
        blockMs: twiceTimeout,
        takeOverEpoch,
        replicas: this.replicas,
        masterDownSince: downSince,
        manual: false,
        afterElection: (epoch) => {
          if (this.deps.faults?.crashAfterElection?.(epoch)) throw new VoterCrash(`${this.deps.voterId} crashed after winning epoch ${epoch} (simulated)`);
        },
      },
      { store: this.deps.store, starter: this.deps.starter, publish: (events) => this.publish(events) },
    );
    await this.adopt(result.record, now);
    if (!result.won) {
      if (result.reason === 'blocked' && result.record.lastFailoverStartedAt !== null) {
        this.blockedUntil = result.record.lastFailoverStartedAt + twiceTimeout + 1;
        const at = new Date(this.blockedUntil).toISOString();
        this.deps.log?.(`${this.config.name}: failover wanted but not before ${at} (2 × failover-timeout after the last attempt, as Sentinel)`);
        this.lastAttempt = null; // try again once the block is over
      } else {
        this.deps.log?.(`${this.config.name}: ${this.deps.voterId} stands down (${result.reason}, epoch ${result.record.epoch})`);
      }
    }
  }

  /**
   * A held lease whose workflow is gone: never started well after the election (the leader
   * died, SIMULATE-FAILURE crash-after-election), or ended without releasing it (crash after
   * promotion). Asked at most once a second; a lease with a running workflow is respected.
   */
  private async deadLeaseEpoch(record: MasterRecord, now: number): Promise<number | undefined> {
    const lease = record.failover;
    if (!lease || lease.leaseExpiresAt < now || now - this.lastStatusAt < STATUS_PAUSE_MS) return undefined;
    this.lastStatusAt = now;
    const status = await this.deps.starter.status(lease.execution);
    if (!leaseAbandoned(lease, status, now)) return undefined;
    // A failover that just ended released its lease (or switched the master) a moment ago: check the
    // table again before calling the lease abandoned, instead of trusting a record read earlier.
    const fresh = await this.deps.store.getMaster(this.config.name);
    if (fresh?.failover?.execution !== lease.execution) {
      if (fresh) await this.adopt(fresh, now);
      return undefined;
    }
    this.lastAttempt = null; // worth one more try at this epoch
    this.deps.log?.(`${this.config.name}: the failover ${lease.execution} of ${lease.leader} is ${status === 'unknown' ? 'not running' : 'over'} but holds the lease: taking over`);
    return lease.epoch;
  }

  /**
   * With no failover running and a sane master of record: a known server reporting role:master
   * is demoted (+convert-to-slave); a replica following another master for failover-timeout is
   * re-pointed (+fix-slave-config).
   */
  private async repair(now: number): Promise<void> {
    const record = this.record!;
    for (const instance of this.instances.values()) {
      const info = instance.info;
      if (sameAddress(instance.address, record) || !info || now - instance.lastRepairAt < REPAIR_PAUSE_MS) continue;
      if (this.deps.faults?.unreachable?.(instance.address)) continue;
      let event: SentinelEventName | null = null;
      if (info.role === 'master') event = '+convert-to-slave';
      else if (info.role === 'slave' && !(await followsByName(info, record))) {
        instance.wrongMasterSince ??= now;
        if (now - instance.wrongMasterSince > this.config.failoverTimeoutMs) event = '+fix-slave-config';
      } else instance.wrongMasterSince = null;
      if (!event) continue;
      instance.lastRepairAt = now;
      // Never act on a stale record: after a failover this voter may not have read the switch yet,
      // and would take the new master for a stray one.
      const fresh = await this.deps.store.getMaster(this.config.name);
      if (!fresh || !sameAddress(fresh, record) || fresh.failover !== null) {
        this.lastRefreshAt = 0;
        return;
      }
      const sent = await instance.link.use(async (l) => {
        // Look again right before acting: another voter may have done it already.
        const fresh = await l.info();
        if (await followsByName(fresh, record)) return false;
        await l.replicate(record);
        return true;
      });
      if (sent) {
        instance.wrongMasterSince = null;
        await this.publish([replicaEvent(event, instance.address, this.ref())]);
      }
    }
  }

  private async publish(events: readonly SentinelEvent[]): Promise<void> {
    if (events.length === 0) return;
    const voter = this.deps.voterId;
    // Which voter said it: Sentinels publish their own view, and so do voters.
    await this.deps.publisher.publish(events.map((e) => ({ ...e, detail: { ...e.detail, voter } })));
  }
}

/** Follows the master, whether the config names it by IP and the replica by host name or the other way round. */
async function followsByName(info: ReplicationInfo, master: Address): Promise<boolean> {
  if (followsMaster(info, master)) return true;
  return info.role === 'slave' && info.masterPort === master.port && info.masterHost !== null && (await sameHost(info.masterHost, master.host));
}
