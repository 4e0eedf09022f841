import { sleep } from '../core/wait.ts';
import type { StepDeps } from './deps.ts';

export type PollOutcome<T> =
  | { readonly kind: 'done'; readonly value: T }
  /** The failover's own deadline passed. */
  | { readonly kind: 'expired' }
  /** This invocation's budget ran out first: the workflow loops back for another. */
  | { readonly kind: 'again' };

/**
 * Calls `attempt` every poll interval until it yields a value, the `deadline` passes,
 * or this invocation's budget is spent. `attempt` returns undefined for "not yet".
 */
export async function pollWithin<T>(
  deps: Pick<StepDeps, 'now' | 'pollIntervalMs' | 'invocationBudgetMs'>,
  deadline: number,
  attempt: () => Promise<T | undefined>,
): Promise<PollOutcome<T>> {
  const budgetEnd = deps.now() + deps.invocationBudgetMs;
  for (;;) {
    const value = await attempt();
    if (value !== undefined) return { kind: 'done', value };
    const now = deps.now();
    if (now > deadline) return { kind: 'expired' };
    if (now >= budgetEnd) return { kind: 'again' };
    await sleep(deps.pollIntervalMs);
  }
}
