/**
 * A voter: one probe, watching every configured master. On AWS one voter is one probe
 * function (one per subnet/AZ), invoked every minute; locally the orchestrator runs K of them.
 */
import type { MasterConfig } from '../core/config.ts';
import { sleep } from '../core/wait.ts';
import type { WatchSnapshot } from '../core/voter-session.ts';
import { MasterWatch } from './master-watch.ts';
import type { VoterDeps } from './voter-deps.ts';
import { perVoter } from '../adapters/metrics.ts';
import { VoterCrash, messageOf } from '../core/errors.ts';

export class Voter {
  readonly watches: readonly MasterWatch[];
  private stopped = false;
  /** Set when a simulated fault killed this voter. */
  crashed: string | null = null;

  constructor(
    masters: readonly MasterConfig[],
    readonly deps: VoterDeps,
  ) {
    this.watches = masters.map((master) => new MasterWatch(master, deps));
  }

  get id(): string {
    return this.deps.voterId;
  }

  /** Watches until `stop()` or `until` (ms since the Unix epoch), whichever comes first. */
  async run(until = Number.POSITIVE_INFINITY): Promise<void> {
    await Promise.all(this.watches.map((watch) => this.loop(watch, until)));
    await Promise.all(this.watches.map((watch) => watch.close()));
  }

  stop(): void {
    this.stopped = true;
  }

  /** Every master's watch, for the next invocation. */
  snapshot(): WatchSnapshot[] {
    return this.watches.map((watch) => watch.snapshot());
  }

  /** Carries on from an earlier invocation's snapshots (taken at `takenAt`). */
  resume(snapshots: readonly WatchSnapshot[], takenAt: number): void {
    for (const watch of this.watches) {
      const snapshot = snapshots.find((s) => s.master === watch.config.name);
      if (snapshot) watch.resume(snapshot, takenAt);
    }
  }

  private async loop(watch: MasterWatch, until: number): Promise<void> {
    while (!this.stopped && this.deps.now() < until) {
      const started = this.deps.now();
      const dimensions = perVoter(this.id, watch.config.name);
      try {
        await watch.tick();
        this.deps.metrics?.count('Ticks', dimensions);
      } catch (error) {
        if (error instanceof VoterCrash) {
          this.crashed = error.message;
          this.deps.log?.(error.message);
          this.stop();
          return;
        }
        // The table or the bus failing must not kill the watch: no decision is taken on missing information.
        // Said at once (the alarm on it must not wait for the next flush).
        this.deps.metrics?.count('TickErrors', dimensions);
        this.deps.metrics?.flush();
        this.deps.log?.(`${watch.config.name}: ${this.id} tick failed: ${messageOf(error)}`);
      }
      await sleep(Math.max(0, watch.periodMs - (this.deps.now() - started)));
    }
  }
}
