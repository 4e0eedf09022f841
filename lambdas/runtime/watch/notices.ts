/**
 * Configuration problems a voter finds on the servers: a name that does not resolve, credentials
 * refused, no min-replicas-to-write. Each is said once per server (again if it comes back after
 * working), never once per PING.
 */

import { addressKey } from '../../core/address.ts';
import type { Address, ReplicationInfo } from '../../core/types.ts';
import type { WatchContext } from './context.ts';
import type { WatchSnapshot } from '../../core/voter-session.ts';
import { RedisAuthError } from '../../core/errors.ts';

export class Notices {
  private readonly fenceWarned = new Set<string>();
  /** The problem last said for each server. */
  private readonly reported = new Map<string, string>();

  constructor(private readonly ctx: WatchContext) {}

  /** After a PING or an INFO: `error` is what it threw (if anything), `failure` why the link last failed. */
  linkProblem(address: Address, failure: string | null, error: unknown): void {
    const key = addressKey(address);
    let problem: string | null = null;
    if (error instanceof RedisAuthError) {
      problem = `${key} refused our credentials (${error.message.replace(/^.*refused authentication: /, '')}); check auth of master ${this.ctx.config.name}: until they work it is watched for replies only, and never failed over for this`;
    } else if (failure && /ENOTFOUND|EAI_AGAIN/.test(failure)) {
      problem = `cannot resolve ${address.host} (${key}); it counts as down until it resolves`;
    }
    if (problem === null) {
      if (failure === null) this.reported.delete(key);
      return;
    }
    if (this.reported.get(key) === problem) return;
    this.reported.set(key, problem);
    this.ctx.notice(`${this.ctx.config.name}: ${problem}`);
  }

  /**
   * Says once per master why a partition can still lose writes: without min-replicas-to-write, a
   * master cut off from the voters but not from its clients takes writes until it is demoted.
   */
  fence(info: ReplicationInfo): void {
    const key = addressKey(this.ctx.record());
    if (this.ctx.config.fencing || info.minReplicasGood !== null || this.fenceWarned.has(key)) return;
    this.fenceWarned.add(key);
    this.ctx.notice(
      `${this.ctx.config.name}: min-replicas-to-write is not set on ${key}: cut off from the voters but not from its clients, it would take writes a failover discards (docs/fencing.md)`,
    );
  }

  snapshot(): WatchSnapshot['notices'] {
    return { fenceWarned: [...this.fenceWarned], reported: [...this.reported] };
  }

  /** What an earlier invocation already said is not said again. */
  restore(snapshot: WatchSnapshot['notices']): void {
    for (const key of snapshot.fenceWarned) this.fenceWarned.add(key);
    for (const [key, problem] of snapshot.reported) this.reported.set(key, problem);
  }
}
