/**
 * One voter's watch over one master group, tick by tick: read the master of record, probe every
 * server (watch/instances.ts), vote and judge ODOWN (watch/voting.ts), run for the lease
 * (watch/election.ts), repair the topology afterwards (watch/repairs.ts). The rules are the pure
 * functions of core/detection.ts; these files are the timing and the I/O around them.
 *
 * What the watch knows can be handed from one invocation to the next (`snapshot`, `resume`): on
 * AWS each probe invocation ends, and the next must carry on, not start over.
 */
import { sameAddress } from '../core/address.ts';
import type { MasterConfig } from '../core/config.ts';
import { resumeWatch, type InstanceView } from '../core/detection.ts';
import type { SentinelEvent } from '../core/events.ts';
import type { MasterRecord } from '../core/store.ts';
import type { Address, MasterRef } from '../core/types.ts';
import type { WatchSnapshot } from '../core/voter-session.ts';
import { masterRecord } from './seed.ts';
import type { VoterDeps } from './voter-deps.ts';
import { perVoter } from '../adapters/metrics.ts';
import type { WatchContext } from './watch/context.ts';
import { Election } from './watch/election.ts';
import { EndpointCheck } from './watch/endpoint-check.ts';
import { Instances } from './watch/instances.ts';
import { Notices } from './watch/notices.ts';
import { Repairs } from './watch/repairs.ts';
import { Voting } from './watch/voting.ts';

/** Reading the record and replicas: often while something is wrong, rarely when all is well (that is the running cost). */
const RECORD_REFRESH_HEALTHY_MS = 5000;
const RECORD_REFRESH_ALERT_MS = 250;

/** The events a voter counts as metrics (of the master itself). */
const EVENT_METRICS: Partial<Record<SentinelEvent['type'], string>> = { '+sdown': 'MasterSdown', '+odown': 'MasterOdown', '+elected-leader': 'LeadershipWins' };

/** What one voter sees of a master group: the master of record, its replicas, and its verdict. */
export interface WatchView {
  readonly record: MasterRecord;
  readonly master: InstanceView;
  readonly replicas: readonly InstanceView[];
  /** Since when this voter holds the master objectively down (the quorum reached), or null. */
  readonly odownSince: number | null;
}

export class MasterWatch {
  private record: MasterRecord | null = null;
  private lastRefreshAt = 0;
  private readonly ctx: WatchContext;
  private readonly notices: Notices;
  private readonly instances: Instances;
  private readonly voting: Voting;
  private readonly election: Election;
  private readonly repairs: Repairs;
  private readonly endpointCheck: EndpointCheck;
  private linkOptionsSet = false;
  /** The witness notice was said during this outage. */
  private witnessNoticed = false;
  /** A snapshot to take over at the next tick, once the record is read; `gapMs` since it was taken. */
  private pending: { readonly snapshot: WatchSnapshot; readonly takenAt: number } | null = null;
  /** Ticks run so far: lets tests wait for "enough observation" without sleeping. */
  ticks = 0;

  constructor(
    readonly config: MasterConfig,
    private readonly deps: VoterDeps,
  ) {
    this.ctx = {
      config,
      deps,
      record: () => this.record!,
      ref: () => this.ref(),
      publish: (events) => this.publish(events),
      notice: (line) => (deps.notice ?? deps.log)?.(line),
    };
    this.notices = new Notices(this.ctx);
    this.instances = new Instances(this.ctx, this.notices);
    this.voting = new Voting(this.ctx);
    this.election = new Election(this.ctx);
    this.repairs = new Repairs(this.ctx, this.instances);
    this.endpointCheck = new EndpointCheck(this.ctx, this.instances);
  }

  get periodMs(): number {
    return this.instances.periodMs;
  }

  /** The master of record, as this voter last read it. */
  get current(): MasterRef | null {
    return this.record ? this.ref() : null;
  }

  async tick(): Promise<void> {
    this.ticks++;
    const now = this.deps.now();
    if (!this.linkOptionsSet) {
      this.instances.setLinkOptions(await this.deps.linkOptions(this.config.name));
      this.linkOptionsSet = true;
    }
    await this.refresh(now);
    const record = this.record;
    if (!record) return;
    this.takeOver(now);
    const unpaused = await this.election.endExpiredPause(now);
    if (unpaused) await this.adopt(unpaused, now);

    this.instances.kick(now);
    // Replies that arrived while this voter was busy or stalled are read before it judges: a late
    // tick must not take a PONG still in the socket for a PING unanswered.
    await new Promise((resolve) => setImmediate(resolve));
    await this.publish(this.instances.evaluate(this.deps.now()));

    const master = this.instances.get(record);
    if (!master) return;
    await this.voting.vote(master.watch.sdownSince, now);
    if (master.watch.sdownSince !== null) {
      const odown = await this.voting.judge(now);
      if (odown && !this.witnessed(record, now)) {
        // The last offset it reported as master: the lag gate's reference (core/selection.ts).
        const masterOffset = master.info?.role === 'master' ? master.info.replOffset : null;
        const newer = await this.election.tryFailover(odown.downSince, this.instances.knownReplicas, now, masterOffset);
        if (newer) await this.adopt(newer, now);
      }
    } else {
      this.witnessNoticed = false;
      await this.voting.clearOdown();
    }
    if (record.failover === null && master.watch.sdownSince === null && master.info?.role === 'master') {
      // In the background, each server on its own: a repair waiting on a hung server must not hold
      // the PINGs of the others (nor the vote) for its timeout.
      this.repairs.start(now, () => (this.lastRefreshAt = 0));
      this.endpointCheck.start(now);
    }
  }

  async close(): Promise<void> {
    // Links first: a repair waiting on one then ends at once.
    await this.instances.close();
    await Promise.all([this.repairs.settle(), this.endpointCheck.settle()]);
  }

  /**
   * What this voter sees of the master group now (the Sentinel port answers SENTINEL MASTER and
   * REPLICAS from it, as a Sentinel answers from its own view); null before the record is read.
   */
  view(): WatchView | null {
    const record = this.record;
    if (!record) return null;
    const seen = (address: Address): InstanceView => {
      const instance = this.instances.get(address);
      return {
        address,
        watch: instance?.watch ?? null,
        info: instance?.info ?? null,
        infoAt: instance?.info ? instance.infoAt : null,
        disconnected: instance ? instance.watch.linkDown || instance.link.disconnected : false,
      };
    };
    return {
      record,
      master: seen(record),
      replicas: this.instances.knownReplicas.filter((r) => !sameAddress(r, record)).map(seen),
      odownSince: this.voting.odownSince,
    };
  }

  /** What this watch knows now, for the next invocation. */
  snapshot(): WatchSnapshot {
    // Not taken over yet (no tick got as far as the record): what was handed to this one is still all there is.
    if (this.pending) return this.pending.snapshot;
    const record = this.record;
    return {
      master: this.config.name,
      record: record ? { host: record.host, port: record.port } : null,
      instances: this.instances.snapshot(),
      voting: this.voting.snapshot(),
      election: this.election.snapshot(),
      notices: this.notices.snapshot(),
    };
  }

  /** Carries on from an earlier invocation's snapshot, taken at `takenAt`; applied at the next tick. */
  resume(snapshot: WatchSnapshot, takenAt: number): void {
    if (snapshot.master === this.config.name) this.pending = { snapshot, takenAt };
  }

  private takeOver(now: number): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const { snapshot, takenAt } = pending;
    this.notices.restore(snapshot.notices);
    // A failover switched the master since: what was known of the old one does not apply.
    if (!snapshot.record || !sameAddress(snapshot.record, this.record!)) return;
    const gapMs = Math.max(0, now - takenAt);
    this.instances.restore(snapshot.instances, now, (watch) => resumeWatch(watch, { gapMs, downAfterMs: this.config.downAfterMs, now }));
    this.voting.restore(snapshot.voting);
    this.election.restore(snapshot.election);
  }

  /** With the witness rule on, a replica still replicating from the master holds the failover back (said once per outage). */
  private witnessed(record: MasterRecord, now: number): boolean {
    if (!this.config.witnesses) return false;
    const witnesses = this.instances.witnessesOf(record, now);
    if (witnesses.length === 0) return false;
    if (!this.witnessNoticed) {
      this.witnessNoticed = true;
      const names = witnesses.map((w) => `${w.host}:${w.port}`).join(', ');
      this.ctx.notice(
        `${this.config.name}: ODOWN, but ${names} still replicate${witnesses.length === 1 ? 's' : ''} from ${record.host}:${record.port} with the link up (witnesses): no failover while they do`,
      );
    }
    return true;
  }

  private ref(): MasterRef {
    const record = this.record!;
    return { name: record.name, host: record.host, port: record.port };
  }

  /** Reads the master of record and its known replicas; keeps one Instance per server. */
  private async refresh(now: number): Promise<void> {
    const alert = this.voting.alert || this.record?.failover;
    if (this.record && now - this.lastRefreshAt < (alert ? RECORD_REFRESH_ALERT_MS : RECORD_REFRESH_HEALTHY_MS)) return;
    this.lastRefreshAt = now;
    await this.adopt(await masterRecord(this.config, this.deps), now);
    await this.instances.track(await this.deps.store.listReplicas(this.config.name), now);
  }

  /** Takes a record read from the table; a new master of record voids every opinion about the old one. */
  private async adopt(record: MasterRecord, now: number): Promise<void> {
    const previous = this.record;
    this.record = record;
    if (!previous || sameAddress(previous, record)) return;
    this.instances.newMasterOfRecord(record, now);
    this.election.reset();
    this.endpointCheck.reset();
    this.lastRefreshAt = 0; // its replicas too, at the next tick
    await this.voting.reset(now);
  }

  private async publish(events: readonly SentinelEvent[]): Promise<void> {
    if (events.length === 0) return;
    const voter = this.deps.voterId;
    for (const event of events) {
      const metric = EVENT_METRICS[event.type];
      if (metric && (event.type === '+elected-leader' || event.detail.instance?.type === 'master'))
        this.deps.metrics?.count(metric, perVoter(voter, this.config.name));
    }
    // Which voter said it: Sentinels publish their own view, and so do voters.
    await this.deps.publisher.publish(events.map((e) => ({ ...e, detail: { ...e.detail, voter } })));
  }
}
