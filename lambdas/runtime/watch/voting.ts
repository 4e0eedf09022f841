/**
 * This voter's opinion of the master in the table, and the verdict of all of them: the vote is
 * written when it changes and kept fresh while it holds SDOWN; only a voter holding SDOWN reads
 * the others' votes, so a healthy master costs no vote traffic.
 */
import { addressKey } from '../../core/address.ts';
import { evaluateOdown, masterDownSince, VOTE_VALIDITY_MS, votesAbout } from '../../core/detection.ts';
import { masterEvent, odownEvent } from '../../core/events.ts';
import type { WatchContext } from './context.ts';
import { perVoter } from '../../adapters/metrics.ts';
import type { WatchSnapshot } from '../../core/voter-session.ts';

/** Votes are read at most this often while this voter holds SDOWN (Sentinel asks other Sentinels every second). */
const VOTES_READ_PAUSE_MS = 100;
/** A held SDOWN vote is rewritten this often, well inside its validity. */
const VOTE_REFRESH_MS = 1000;

export class Voting {
  private votedSdownSince: number | null = null;
  private lastVoteAt = 0;
  private odown = false;
  /** When this voter last saw the quorum reached (SENTINEL MASTER's o-down-time), while it holds. */
  private odownAt: number | null = null;
  private lastVotesReadAt = 0;

  constructor(private readonly ctx: WatchContext) {}

  /** Something is wrong: the table is read often while this holds. */
  get alert(): boolean {
    return this.odown || this.votedSdownSince !== null;
  }

  /** Since when this voter holds the master objectively down, or null. */
  get odownSince(): number | null {
    return this.odown ? (this.odownAt ?? this.ctx.deps.now()) : null;
  }

  /** Writes this voter's opinion when it changes, and keeps an SDOWN opinion fresh. */
  async vote(sdownSince: number | null, now: number): Promise<void> {
    const changed = sdownSince !== this.votedSdownSince;
    const stale = sdownSince !== null && now - this.lastVoteAt >= VOTE_REFRESH_MS;
    if (!changed && !stale) return;
    const voter = this.ctx.deps.voterId;
    const about = addressKey(this.ctx.record());
    await this.ctx.deps.store.putVote({ voter, master: this.ctx.config.name, about, sdownSince, observedAt: now, expiresAt: now + VOTE_VALIDITY_MS });
    this.votedSdownSince = sdownSince;
    this.lastVoteAt = now;
    this.ctx.deps.metrics?.count('VotesWritten', perVoter(voter, this.ctx.config.name));
  }

  /**
   * While this voter holds the master SDOWN: counts the votes, says +odown / -odown, and answers
   * since when the master is down once ODOWN holds (null otherwise, or when not read this tick).
   */
  async judge(now: number): Promise<{ readonly downSince: number | null } | null> {
    // At most every VOTES_READ_PAUSE_MS: a short down-after means a fast ping, not a table storm.
    if (now - this.lastVotesReadAt < VOTES_READ_PAUSE_MS) return null;
    this.lastVotesReadAt = now;
    const votes = votesAbout(await this.ctx.deps.store.listVotes(this.ctx.config.name), addressKey(this.ctx.record()));
    const verdict = evaluateOdown(votes, this.ctx.config.quorum, now, this.odown);
    this.odown = verdict.odown;
    if (verdict.event === '+odown') this.odownAt = now;
    if (verdict.event === '+odown') await this.ctx.publish([odownEvent(this.ctx.ref(), verdict.votes, verdict.quorum)]);
    if (verdict.event === '-odown') await this.ctx.publish([masterEvent('-odown', this.ctx.ref())]);
    return verdict.odown ? { downSince: masterDownSince(votes, now) } : null;
  }

  /** The master is not SDOWN in this voter's eyes: an ODOWN it saw is over. */
  async clearOdown(): Promise<void> {
    if (!this.odown) return;
    this.odown = false;
    await this.ctx.publish([masterEvent('-odown', this.ctx.ref())]);
  }

  /** A new master of record voids every opinion about the old one. */
  async reset(now: number): Promise<void> {
    this.odown = false;
    await this.vote(null, now);
  }

  snapshot(): WatchSnapshot['voting'] {
    return { votedSdownSince: this.votedSdownSince, lastVoteAt: this.lastVoteAt, odown: this.odown };
  }

  restore(snapshot: WatchSnapshot['voting']): void {
    this.votedSdownSince = snapshot.votedSdownSince;
    this.lastVoteAt = snapshot.lastVoteAt;
    this.odown = snapshot.odown;
  }
}
