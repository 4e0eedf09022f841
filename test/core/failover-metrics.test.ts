import { describe, expect, it } from 'vitest';
import { eventCount, failoverTimeline } from '../../lambdas/core/failover-metrics.ts';
import type { FailoverState } from '../../lambdas/core/workflow-state.ts';

describe('eventCount', () => {
  it('reads a started, a succeeded and an aborted failover from Sentinel event names, the abort by its reason', () => {
    expect(eventCount('+try-failover')).toEqual({ name: 'FailoversStarted' });
    expect(eventCount('+switch-master')).toEqual({ name: 'FailoversSucceeded' });
    expect(eventCount('-failover-abort-no-good-slave')).toEqual({ name: 'FailoversAborted', reason: 'no-good-slave' });
    expect(eventCount('-failover-abort-slave-timeout')).toEqual({ name: 'FailoversAborted', reason: 'slave-timeout' });
    expect(eventCount('+odown')).toBeNull();
    expect(eventCount('+failover-end')).toBeNull();
  });
});

describe('failoverTimeline', () => {
  const base = {
    master: { name: 'cache', host: '10.0.0.1', port: 6379 },
    epoch: 3,
    settings: { downAfterMs: 1000, failoverTimeoutMs: 10_000, parallelSyncs: 1 },
    replicas: [],
    startedAt: 10_000,
    masterDownSince: 9_000,
    manual: false,
  } as unknown as FailoverState;

  it('times the whole failover, the detection before it and each phase', () => {
    const state = { ...base, selection: { selectedAt: 10_040 }, promotion: { confirmedAt: 10_140 } } as unknown as FailoverState;
    expect(failoverTimeline(state, 10_400)).toEqual({ durationMs: 400, detectionMs: 1000, phases: { 'select-slave': 40, promote: 100, 'reconf-slaves': 260 } });
  });

  it('leaves out what the state does not hold: a manual failover has no detection, a resumed promotion no confirmation time', () => {
    const state = { ...base, masterDownSince: null, selection: { selectedAt: 10_040 }, promotion: { confirmedAt: null } } as unknown as FailoverState;
    expect(failoverTimeline(state, 10_400)).toEqual({ durationMs: 400, detectionMs: null, phases: { 'select-slave': 40 } });
  });
});
