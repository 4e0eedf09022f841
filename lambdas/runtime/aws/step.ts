/**
 * A workflow step as a Lambda handler: the step's `run` over the parts of its dependencies it
 * names (each built once per container, so a step loads only what it uses), and the warm-up
 * invocations that keep its container alive between failovers (lib/warm-up.ts).
 */
import { sleep } from '../../core/wait.ts';
import { DEFAULT_INVOCATION_BUDGET_MS, DEFAULT_POLL_INTERVAL_MS, type StepDeps } from '../deps.ts';
import { messageOf } from '../../core/errors.ts';
import { primeClients } from './clients.ts';
import { awsLogger } from './log.ts';
import { awsMetrics } from './metrics.ts';

/** What the warm-up schedules send: `holdMs` keeps this container busy a moment, so parallel warm-ups land on distinct ones. */
export interface WarmUp {
  readonly warmup: true;
  readonly holdMs?: number;
}

export function isWarmUp(event: unknown): event is WarmUp {
  return typeof event === 'object' && event !== null && (event as { warmup?: unknown }).warmup === true;
}

/** The longest a warm-up holds its container. */
const MAX_HOLD_MS = 1000;

/**
 * The handler Lambda calls: `run` over the dependencies `deps` builds (once per container: the
 * parts cache themselves). A warm-up builds them and resolves their SDK clients' region and
 * credentials, then answers; anything else is the step's input.
 */
export function stepHandler<I, O, D>(run: (input: I, deps: D) => Promise<O>, deps: () => D): (event: I | WarmUp) => Promise<O | { warm: true }> {
  // The container's first invocation pays its start; a warm-up that came first paid it for the failover.
  let fresh = true;
  return async (event) => {
    const first = fresh;
    fresh = false;
    if (isWarmUp(event)) {
      try {
        deps();
        await primeClients();
      } catch (error) {
        // A warm-up never fails (Lambda would retry it): a broken environment is said here, and by the step itself.
        awsLogger.error('warm-up failed', { error: messageOf(error) });
      }
      if (event.holdMs) await sleep(Math.min(MAX_HOLD_MS, Math.max(0, event.holdMs)));
      return { warm: true };
    }
    // A failover step that waited for a new container: what the warm-ups are there to prevent.
    if (first) awsMetrics.count('StepColdStarts', [{ Function: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown' }, {}]);
    try {
      return await run(event as I, deps());
    } finally {
      awsMetrics.flush();
    }
  };
}

/** The step's parts, with the polling defaults every step shares. */
export function stepDeps<P extends Partial<StepDeps>>(parts: P): P & Pick<StepDeps, 'now' | 'pollIntervalMs' | 'invocationBudgetMs'> {
  return { now: () => Date.now(), pollIntervalMs: DEFAULT_POLL_INTERVAL_MS, invocationBudgetMs: DEFAULT_INVOCATION_BUDGET_MS, ...parts };
}
