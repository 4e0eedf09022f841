/**
 * Running for the failover's lease once the master is ODOWN: one try per epoch and master seen,
 * none during Sentinel's 2 × failover-timeout block, and taking over a lease whose failover is
 * gone (its leader died before starting it, or it ended without releasing the lease).
 */
import { addressKey } from '../../core/address.ts';
import { pauseInForce, type MasterRecord } from '../../core/store.ts';
import { pauseEvent } from '../../core/events.ts';
import type { Address } from '../../core/types.ts';
import { leadFailover, leaseAbandoned } from '../leadership.ts';

import type { WatchContext } from './context.ts';
import { perVoter } from '../../adapters/metrics.ts';
import type { WatchSnapshot } from '../../core/voter-session.ts';
import { VoterCrash } from '../../core/errors.ts';

const STATUS_PAUSE_MS = 1000;

export class Election {
  private lastAttempt: string | null = null;
  private lastStatusAt = 0;
  private blockedUntil = 0;
  /** The pause (by its start) this voter said +failover-held for: once per pause and epoch. */
  private heldFor: string | null = null;

  constructor(private readonly ctx: WatchContext) {}

  /** Runs for the lease if this voter may; answers a newer record to adopt, when it read one. */
  async tryFailover(downSince: number | null, replicas: readonly Address[], now: number, masterOffset: number | null = null): Promise<MasterRecord | null> {
    const { config, deps } = this.ctx;
    const record = this.ctx.record();
    const takeOver = await this.deadLeaseEpoch(record, now);
    if (takeOver.fresh) return takeOver.fresh;
    const takeOverEpoch = takeOver.epoch;
    if (record.failover && record.failover.leaseExpiresAt >= now && takeOverEpoch === undefined) return null; // someone leads it: wait for the switch
    if (await this.held(record, now)) return null;
    const attempt = `${record.epoch}@${addressKey(record)}`;
    if (this.lastAttempt === attempt || now < this.blockedUntil) return null; // one try per epoch and master seen; none while blocked
    this.lastAttempt = attempt;
    deps.metrics?.count('LeadershipAttempts', perVoter(deps.voterId, config.name));
    const twiceTimeout = 2 * config.failoverTimeoutMs;
    const result = await leadFailover(
      {
        master: config,
        record,
        leader: deps.voterId,
        now,
        blockMs: twiceTimeout,
        takeOverEpoch,
        replicas,
        masterDownSince: downSince,
        masterOffset,
        manual: false,
        respectPause: true,
        afterElection: (epoch) => {
          if (deps.faults?.crashAfterElection?.(epoch)) throw new VoterCrash(`${deps.voterId} crashed after winning epoch ${epoch} (simulated)`);
        },
      },
      { store: deps.store, starter: deps.starter, publish: (events) => this.ctx.publish(events) },
    );
    if (!result.won) {
      if (result.reason === 'blocked' && result.record.lastFailoverStartedAt !== null) {
        this.blockedUntil = result.record.lastFailoverStartedAt + twiceTimeout + 1;
        const at = new Date(this.blockedUntil).toISOString();
        deps.log?.(`${config.name}: failover wanted but not before ${at} (2 × failover-timeout after the last attempt, as Sentinel)`);
        this.lastAttempt = null; // try again once the block is over
      } else if (result.reason === 'paused') {
        this.lastAttempt = null; // paused in between: try again once it ends
        await this.held(result.record, now);
      } else {
        deps.log?.(`${config.name}: ${deps.voterId} stands down (${result.reason}, epoch ${result.record.epoch})`);
      }
    }
    return result.record;
  }

  /**
   * ODOWN during a maintenance pause: no failover, and +failover-held says so once per pause and
   * epoch, so an alarm on ODOWN can tell "down and nobody will act" from "down, failing over".
   */
  private async held(record: MasterRecord, now: number): Promise<boolean> {
    const pause = pauseInForce(record, now);
    if (!pause) return false;
    const key = `${pause.since}@${record.epoch}`;
    if (this.heldFor !== key) {
      this.heldFor = key;
      await this.ctx.publish([pauseEvent('+failover-held', this.ctx.ref(), pause, { epoch: record.epoch })]);
    }
    return true;
  }

  /**
   * A pause past its end is ended by whichever voter gets there first (the conditional write names
   * the pause by its start), and that voter says `-pause … expired`: no pause is forgotten.
   */
  async endExpiredPause(now: number): Promise<MasterRecord | null> {
    const pause = this.ctx.record().pause;
    if (!pause || pause.until >= now) return null;
    const { cleared, record } = await this.ctx.deps.store.clearPause(this.ctx.config.name, { since: pause.since });
    if (cleared) await this.ctx.publish([pauseEvent('-pause', this.ctx.ref(), cleared, { ended: 'expired' })]);
    return record;
  }

  /** A new master of record: its epochs are worth a try again. */
  reset(): void {
    this.lastAttempt = null;
  }

  snapshot(): WatchSnapshot['election'] {
    return { lastAttempt: this.lastAttempt, blockedUntil: this.blockedUntil };
  }

  restore(snapshot: WatchSnapshot['election']): void {
    this.lastAttempt = snapshot.lastAttempt;
    this.blockedUntil = snapshot.blockedUntil;
  }

  /**
   * A held lease whose workflow is gone: never started well after the election (the leader
   * died, SIMULATE-FAILURE crash-after-election), or ended without releasing it (crash after
   * promotion). Asked at most once a second; a lease with a running workflow is respected.
   */
  private async deadLeaseEpoch(record: MasterRecord, now: number): Promise<{ epoch?: number; fresh?: MasterRecord }> {
    const { config, deps } = this.ctx;
    const lease = record.failover;
    if (!lease || lease.leaseExpiresAt < now || now - this.lastStatusAt < STATUS_PAUSE_MS) return {};
    this.lastStatusAt = now;
    const status = await deps.starter.status(lease.execution);
    if (!leaseAbandoned(lease, status, now)) return {};
    // A failover that just ended released its lease (or switched the master) a moment ago: check the
    // table again before calling the lease abandoned, instead of trusting a record read earlier.
    const fresh = await deps.store.getMaster(config.name);
    if (fresh?.failover?.execution !== lease.execution) return fresh ? { fresh } : {};
    this.lastAttempt = null; // worth one more try at this epoch
    deps.log?.(
      `${config.name}: the failover ${lease.execution} of ${lease.leader} is ${status === 'unknown' ? 'not running' : 'over'} but holds the lease: taking over`,
    );
    return { epoch: lease.epoch };
  }
}
