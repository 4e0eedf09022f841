import type { FailoverState } from '../../lambdas/core/workflow-state.ts';

/** A workflow document for step tests: a master with one replica, overridable field by field. */
export function failoverState(overrides: Partial<FailoverState> = {}): FailoverState {
  return {
    master: { name: 'mymaster', host: '10.0.0.1', port: 6379 },
    epoch: 1,
    settings: { downAfterMs: 1000, failoverTimeoutMs: 10_000, parallelSyncs: 1, waitStartSeconds: 0 },
    replicas: [{ host: '10.0.0.2', port: 6379 }],
    startedAt: 0,
    masterDownSince: null,
    manual: false,
    ...overrides,
  };
}
