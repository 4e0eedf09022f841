import type { EventPublisher } from '../lambdas/core/interfaces.ts';
import type { Config, MasterConfig } from '../lambdas/core/config.ts';
import { linkOptionsFrom } from '../lambdas/runtime/credentials.ts';
import { DEFAULT_INVOCATION_BUDGET_MS, DEFAULT_POLL_INTERVAL_MS, type StepDeps } from '../lambdas/runtime/deps.ts';

/**
 * Step dependencies for the local runtime: credentials come from the config file (read again
 * through `reload` when a server refuses them), events go to `publisher`.
 */
export function localStepDeps(
  masters: readonly MasterConfig[],
  publisher: EventPublisher,
  overrides: Partial<StepDeps> = {},
  reload?: () => Pick<Config, 'masters'>,
): StepDeps {
  return {
    publisher,
    // The Lambda functions' rule, minus TLS; a local config never holds a secretArn (refused at load).
    linkOptions: linkOptionsFrom({ masters }, false, undefined, reload),
    now: () => Date.now(),
    pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
    invocationBudgetMs: DEFAULT_INVOCATION_BUDGET_MS,
    ...overrides,
  };
}
