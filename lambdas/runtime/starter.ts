import type { FailoverInput } from '../core/types.ts';

/** What became of an execution: still running, ended (in any way), or never started. */
export type ExecutionStatus = 'running' | 'finished' | 'unknown';

/**
 * Starts the failover workflow. The execution is named `<master>-<epoch>`, so starting the
 * same failover twice is a no-op: the second guard of "one failover per master per epoch".
 */
export interface FailoverStarter {
  start(input: FailoverInput): Promise<void>;
  /** Lets a voter tell a live failover from a dead leader's lease. */
  status(execution: string): Promise<ExecutionStatus>;
}
