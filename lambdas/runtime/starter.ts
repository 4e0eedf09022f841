import type { FailoverInput } from '../core/types.ts';

/**
 * Starts the failover workflow. The execution is named `<master>-<epoch>`, so starting the
 * same failover twice is a no-op: the second guard of "one failover per master per epoch".
 */
export interface FailoverStarter {
  start(input: FailoverInput): Promise<void>;
}
