/**
 * Probing: one link per server of the master group, PING every ping period and INFO every second,
 * each fired without waiting (a hung server must not slow the tick; Sentinel's links are
 * asynchronous too), SDOWN judged from what came back, and the replicas the master's INFO reveals.
 */
import { PollingLink } from '../../adapters/redis.ts';
import type { RedisLinkOptions } from '../../core/interfaces.ts';
import { addressKey, sameAddress } from '../../core/address.ts';
import {
  witnessSeesMaster,
  asNewMaster,
  evaluateSdown,
  newWatch,
  onInfoRole,
  onPingFailed,
  onPingReply,
  onPingSent,
  onRunId,
  pingPeriodMs,
  shouldKillScript,
  type InstanceWatch,
} from '../../core/detection.ts';
import { masterEvent, replicaEvent, type SentinelEvent } from '../../core/events.ts';
import { followsMaster } from '../../core/info.ts';
import type { Address, ReplicationInfo } from '../../core/types.ts';
import type { InstanceSnapshot } from '../../core/voter-session.ts';
import type { WatchContext } from './context.ts';
import type { Notices } from './notices.ts';
import { voterInGroup } from '../../adapters/metrics.ts';
import { RedisAuthError, messageOf } from '../../core/errors.ts';

/** INFO cadence: Sentinel uses 10 s, and 1 s around failovers; 1 s always costs Redis nothing. */
const INFO_PERIOD_MS = 1000;

/** How recent an INFO must be for a repair or a witness to act on what it says. */
const FRESH_INFO_MS = 2 * INFO_PERIOD_MS;

/** The server answers this voter (not SDOWN) and said something in INFO lately: what it says may be acted on. */
export function answersLately(instance: Instance, now: number): instance is Instance & { info: ReplicationInfo } {
  return instance.info !== null && now - instance.infoAt <= FRESH_INFO_MS && instance.watch.sdownSince === null;
}

/** The PING latency metric is the slowest reply of the group in each such window: a handful of values a flush, not every reply. */
const PING_LATENCY_WINDOW_MS = 1000;

/** A PING that got no answer in time, as opposed to a refused or reset connection. */
const TIMED_OUT = /timed out|ETIMEDOUT/i;

export interface Instance {
  readonly address: Address;
  readonly link: PollingLink;
  watch: InstanceWatch;
  info: ReplicationInfo | null;
  /** When `info` was read: a repair acts only on what the server said lately. */
  infoAt: number;
  pinging: boolean;
  infoing: boolean;
  lastPingAt: number;
  lastInfoAt: number;
  wrongMasterSince: number | null;
  lastRepairAt: number;
  /** SCRIPT KILL sent during this SDOWN (Sentinel's SRI_SCRIPT_KILL_SENT). */
  scriptKillSent: boolean;
  /** The run_id the managed fence was set on (a restart loses CONFIG SET), or null; `fencing` while it is being set. */
  fencedRunId: string | null;
  fencing: boolean;
}

export class Instances {
  readonly periodMs: number;
  private readonly byKey = new Map<string, Instance>();
  /** The replicas the table knows, and those the master's INFO revealed since. */
  private replicas: Address[] = [];
  private linkOptions: RedisLinkOptions = {};
  private slowestPingMs: number | null = null;
  private latencyWindowStart = 0;

  constructor(
    private readonly ctx: WatchContext,
    private readonly notices: Notices,
  ) {
    this.periodMs = pingPeriodMs(ctx.config.downAfterMs);
  }

  setLinkOptions(options: RedisLinkOptions): void {
    this.linkOptions = options;
  }

  get knownReplicas(): readonly Address[] {
    return this.replicas;
  }

  values(): IterableIterator<Instance> {
    return this.byKey.values();
  }

  get(address: Address): Instance | undefined {
    return this.byKey.get(addressKey(address));
  }

  /** One Instance per server of the master of record and its known replicas; links to any other are closed. */
  async track(replicas: readonly Address[], now: number): Promise<void> {
    this.replicas = replicas.map(({ host, port }) => ({ host, port }));
    const wanted = [this.ctx.record(), ...this.replicas];
    for (const address of wanted) this.ensure(address, now);
    for (const [key, instance] of this.byKey) {
      if (!wanted.some((a) => addressKey(a) === key)) {
        await instance.link.close();
        this.byKey.delete(key);
      }
    }
  }

  /** The master of record moved to `address` (a switch read from the table). */
  newMasterOfRecord(address: Address, now: number): void {
    const instance = this.byKey.get(addressKey(address));
    if (instance) instance.watch = asNewMaster(instance.watch, now);
  }

  /** Fires PING and INFO where their period has come, without waiting for the replies. */
  kick(now: number): void {
    for (const instance of this.byKey.values()) this.kickOne(instance, now);
    if (now - this.latencyWindowStart >= PING_LATENCY_WINDOW_MS) {
      if (this.slowestPingMs !== null)
        this.ctx.deps.metrics?.measure('PingLatency', voterInGroup(this.ctx.deps.voterId, this.ctx.config.name), this.slowestPingMs);
      this.slowestPingMs = null;
      this.latencyWindowStart = now;
    }
  }

  /**
   * Replicas that answer this voter, with an INFO of the last two seconds saying they still
   * replicate from `master` (the witness rule, core/detection.ts).
   */
  /**
   * The replicas a reader may use: answering lately, following `master` with the link up. Looser
   * than a witness (an idle master talks to its replicas only every repl-ping-replica-period).
   */
  servingReplicasOf(master: Address, now: number): Address[] {
    return [...this.byKey.values()]
      .filter((i) => !sameAddress(i.address, master) && answersLately(i, now) && followsMaster(i.info, master) && i.info.masterLinkUp)
      .map((i) => i.address);
  }

  witnessesOf(master: Address, now: number): Address[] {
    return [...this.byKey.values()]
      .filter((i) => !sameAddress(i.address, master) && answersLately(i, now) && witnessSeesMaster(i.info, master, this.ctx.config.downAfterMs))
      .map((i) => i.address);
  }

  /** Each server's SDOWN verdict at `now`; the events of the opinions that changed. */
  evaluate(now: number): SentinelEvent[] {
    const record = this.ctx.record();
    const events: SentinelEvent[] = [];
    for (const instance of this.byKey.values()) {
      const isMaster = sameAddress(instance.address, record);
      const verdict = evaluateSdown(instance.watch, now, {
        downAfterMs: this.ctx.config.downAfterMs,
        expectMaster: isMaster,
        infoPeriodMs: INFO_PERIOD_MS,
        masterRebootDownAfterMs: this.ctx.config.masterRebootDownAfterMs,
      });
      instance.watch = verdict.watch;
      if (verdict.event) events.push(isMaster ? masterEvent(verdict.event, this.ctx.ref()) : replicaEvent(verdict.event, instance.address, this.ctx.ref()));
    }
    return events;
  }

  async close(): Promise<void> {
    await Promise.all([...this.byKey.values()].map((i) => i.link.close()));
  }

  snapshot(): InstanceSnapshot[] {
    return [...this.byKey.values()].map((i) => ({
      host: i.address.host,
      port: i.address.port,
      watch: i.watch,
      wrongMasterSince: i.wrongMasterSince,
      lastRepairAt: i.lastRepairAt,
      scriptKillSent: i.scriptKillSent,
    }));
  }

  /** Takes what an earlier invocation knew of each server; `resume` decides how much of its clock still holds. */
  restore(snapshots: readonly InstanceSnapshot[], now: number, resume: (watch: InstanceWatch) => InstanceWatch): void {
    for (const s of snapshots) {
      const instance = this.ensure(s, now);
      instance.watch = resume(s.watch);
      instance.wrongMasterSince = s.wrongMasterSince;
      instance.lastRepairAt = s.lastRepairAt;
      instance.scriptKillSent = s.scriptKillSent;
    }
  }

  private ensure(address: Address, now: number): Instance {
    const key = addressKey(address);
    let instance = this.byKey.get(key);
    if (!instance) {
      instance = {
        address: { host: address.host, port: address.port },
        link: new PollingLink(address, { ...this.linkOptions, connectTimeoutMs: 1000, commandTimeoutMs: 1000 }),
        watch: newWatch(now),
        info: null,
        infoAt: 0,
        pinging: false,
        infoing: false,
        lastPingAt: 0,
        lastInfoAt: 0,
        wrongMasterSince: null,
        lastRepairAt: 0,
        scriptKillSent: false,
        fencedRunId: null,
        fencing: false,
      };
      this.byKey.set(key, instance);
    }
    return instance;
  }

  private kickOne(instance: Instance, now: number): void {
    const { deps } = this.ctx;
    // A server cut off (a test's fault): the PING goes out and nothing comes back, as with packets dropped.
    if (deps.faults?.unreachable?.(instance.address)) {
      instance.watch = onPingSent(instance.watch, now);
      return;
    }
    if (!instance.pinging && now - instance.lastPingAt >= this.periodMs) {
      instance.pinging = true;
      instance.lastPingAt = now;
      instance.watch = onPingSent(instance.watch, now);
      void instance.link
        .use((l) => l.pingReply())
        .then((reply) => {
          if (reply !== undefined) this.slowestPingMs = Math.max(this.slowestPingMs ?? 0, deps.now() - now);
          instance.watch =
            reply === undefined
              ? onPingFailed(instance.watch, TIMED_OUT.test(instance.link.lastFailure ?? ''))
              : onPingReply(instance.watch, reply, deps.now());
          this.notices.linkProblem(instance.address, instance.link.lastFailure, null);
          if (instance.watch.sdownSince === null) instance.scriptKillSent = false;
          if (reply && shouldKillScript(instance.watch, reply, instance.scriptKillSent)) this.killScript(instance);
        })
        .catch((error: unknown) => {
          // It answered: a configuration problem to report, not a dead server (see PingReply).
          if (error instanceof RedisAuthError) instance.watch = onPingReply(instance.watch, 'refused', deps.now());
          this.notices.linkProblem(instance.address, instance.link.lastFailure, error);
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
          const now = deps.now();
          instance.info = info;
          instance.infoAt = now;
          const record = this.ctx.record();
          const isMaster = sameAddress(instance.address, record);
          const seen = onRunId(onInfoRole(instance.watch, info.role, now), info.runId, now, isMaster && this.ctx.config.masterRebootDownAfterMs > 0);
          instance.watch = seen.watch;
          if (seen.rebooted)
            await this.ctx.publish([isMaster ? masterEvent('+reboot', this.ctx.ref()) : replicaEvent('+reboot', instance.address, this.ctx.ref())]);
          if (this.ctx.config.fencing && info.runId !== instance.fencedRunId) this.fence(instance, info.runId);
          if (isMaster && info.role === 'master') await this.discover(info);
        })
        .catch((error: unknown) => {
          if (error instanceof RedisAuthError) this.notices.linkProblem(instance.address, instance.link.lastFailure, error);
          else deps.log?.(`${this.ctx.config.name}: INFO of ${addressKey(instance.address)} failed: ${String(error)}`);
        })
        .finally(() => (instance.infoing = false));
    }
  }

  /**
   * The managed fence, on every server (a replica's is inert until it is promoted, so the promoted
   * one has it from its first write); set again when the server restarted.
   */
  private fence(instance: Instance, runId: string | null): void {
    const fencing = this.ctx.config.fencing;
    if (!fencing || instance.fencing) return;
    instance.fencing = true;
    void instance.link
      .use(async (l) => {
        await l.fence(fencing.minReplicas, fencing.maxLagSeconds);
        return true;
      })
      .then((done) => {
        if (!done) return;
        if (instance.fencedRunId === null) {
          this.ctx.deps.log?.(
            `${this.ctx.config.name}: fencing ${addressKey(instance.address)}: min-replicas-to-write ${fencing.minReplicas}, min-replicas-max-lag ${fencing.maxLagSeconds}`,
          );
        }
        instance.fencedRunId = runId;
      })
      .catch((error: unknown) => this.ctx.deps.log?.(`${this.ctx.config.name}: fencing ${addressKey(instance.address)} failed: ${messageOf(error)}`))
      .finally(() => (instance.fencing = false));
  }

  /** Fire and forget, like Sentinel: the PINGs that follow tell whether it worked. */
  private killScript(instance: Instance): void {
    instance.scriptKillSent = true;
    this.ctx.deps.log?.(`${this.ctx.config.name}: ${addressKey(instance.address)} answers -BUSY while SDOWN: sent SCRIPT KILL, as Sentinel does`);
    void instance.link.use((l) => l.killScript()).catch(() => undefined);
  }

  /** Replicas the master reports: `+slave` once, said by whichever voter stores it first. */
  private async discover(info: ReplicationInfo): Promise<void> {
    this.notices.fence(info);
    for (const replica of info.connectedReplicas) {
      if (this.replicas.some((known) => sameAddress(known, replica))) continue;
      const address = { host: replica.host, port: replica.port };
      this.replicas.push(address);
      const now = this.ctx.deps.now();
      this.ensure(address, now);
      const added = await this.ctx.deps.store.addReplica(this.ctx.config.name, address);
      if (added) await this.ctx.publish([replicaEvent('+slave', address, this.ctx.ref())]);
    }
  }
}
