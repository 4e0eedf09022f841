/** What every part of one voter's watch over one master group shares. */
import type { MasterConfig } from '../../core/config.ts';
import type { SentinelEvent } from '../../core/events.ts';
import type { MasterRecord } from '../../core/store.ts';
import type { MasterRef } from '../../core/types.ts';
import type { VoterDeps } from '../voter-deps.ts';

export interface WatchContext {
  readonly config: MasterConfig;
  readonly deps: VoterDeps;
  /** The master of record as this voter last read it; parts run only once there is one. */
  record(): MasterRecord;
  ref(): MasterRef;
  /** Publishes as this voter (each voter speaks for itself, as each Sentinel does). */
  publish(events: readonly SentinelEvent[]): Promise<void>;
  /** Says a configuration problem once (see VoterDeps.notice). */
  notice(line: string): void;
}
