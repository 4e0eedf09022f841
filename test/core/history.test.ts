import { describe, expect, it } from 'vitest';
import { historyEntry, historyFromEvents, stateSpans, type LoggedEvent } from '../../lambdas/core/history.ts';
import type { FailoverInput } from '../../lambdas/core/types.ts';

const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);
const input: FailoverInput = {
  master: { name: 'mymaster', host: '10.0.0.1', port: 6379 },
  epoch: 3,
  settings: { downAfterMs: 1000, failoverTimeoutMs: 10_000, parallelSyncs: 1, waitStartSeconds: 0 },
  replicas: [],
  startedAt: T0,
  masterDownSince: T0 - 1000,
  manual: false,
};

describe('historyEntry', () => {
  it('tells an execution: trigger, route, result, and each state once, a polling one from its first entry to its last exit', () => {
    const states = stateSpans([
      { kind: 'entered', name: 'SelectSlave', type: 'Task', at: T0 },
      { kind: 'exited', name: 'SelectSlave', type: 'Task', at: T0 + 20 },
      { kind: 'entered', name: 'SlaveSelected?', type: 'Choice', at: T0 + 20 },
      { kind: 'exited', name: 'SlaveSelected?', type: 'Choice', at: T0 + 21 },
      { kind: 'entered', name: 'SendSlaveofNoOne', type: 'Task', at: T0 + 21 },
      { kind: 'exited', name: 'SendSlaveofNoOne', type: 'Task', at: T0 + 30 },
      { kind: 'entered', name: 'SendSlaveofNoOne', type: 'Task', at: T0 + 31 },
      { kind: 'exited', name: 'SendSlaveofNoOne', type: 'Task', at: T0 + 60 },
    ]);
    const entry = historyEntry({
      name: 'mymaster-3',
      status: 'SUCCEEDED',
      startedAt: T0,
      stoppedAt: T0 + 250,
      input,
      output: { ...input, switched: { oldMaster: input.master, newMaster: { host: '10.0.0.2', port: 6379 }, switchedAt: T0 + 250, timeline: {} as never } },
      error: null,
      cause: null,
      states,
    });
    expect(entry).toMatchObject({
      epoch: 3,
      trigger: 'odown',
      from: { host: '10.0.0.1', port: 6379 },
      to: { host: '10.0.0.2', port: 6379 },
      result: 'switched',
      durationMs: 250,
    });
    expect(entry.phases).toEqual([
      { state: 'SelectSlave', startedAt: new Date(T0).toISOString(), durationMs: 20 },
      { state: 'SendSlaveofNoOne', startedAt: new Date(T0 + 21).toISOString(), durationMs: 39 },
    ]);
  });

  it('calls a failure in an abort state aborted, naming it, and any other failed', () => {
    const base = { name: 'mymaster-3', startedAt: T0, stoppedAt: T0 + 5, input: { ...input, manual: true }, output: null, cause: null, states: [] };
    expect(historyEntry({ ...base, status: 'FAILED', error: 'Vetoed' })).toMatchObject({ result: 'aborted', error: 'Vetoed', trigger: 'manual', to: null });
    expect(historyEntry({ ...base, status: 'FAILED', error: 'States.Runtime' })).toMatchObject({ result: 'failed', error: 'States.Runtime' });
    expect(historyEntry({ ...base, status: 'RUNNING', stoppedAt: null, error: null })).toMatchObject({ result: 'running', endedAt: null, durationMs: null });
  });
});

describe('historyFromEvents', () => {
  const event = (type: string, ms: number, detail: Record<string, unknown> = {}): LoggedEvent => ({
    type,
    time: new Date(T0 + ms).toISOString(),
    detail: { master: 'mymaster', epoch: 1, execution: 'mymaster-1', masterAddress: { host: '10.0.0.1', port: 6379 }, ...detail },
  });

  it('tells each execution of an events file, newest first: each phase from its event to the next', () => {
    const events = [
      { type: '+sdown', time: new Date(T0 - 100).toISOString(), detail: { master: 'mymaster' } },
      event('+try-failover', 0),
      event('+elected-leader', 0, { voter: 'voter-2' }),
      event('+failover-triggered', 2),
      event('+failover-state-select-slave', 3),
      event('+failover-approval-requested', 10),
      event('-failover-abort-vetoed', 900, { reason: 'change freeze' }),
      event('+try-failover', 30_000, { epoch: 2, execution: 'mymaster-2' }),
      event('+elected-leader', 30_000, { epoch: 2, execution: 'mymaster-2', voter: 'manual' }),
      event('+switch-master', 30_100, { epoch: 2, execution: 'mymaster-2', newMaster: { host: '10.0.0.2', port: 6379 } }),
    ];
    const [second, first] = historyFromEvents(events);
    expect(second).toMatchObject({
      execution: 'mymaster-2',
      epoch: 2,
      trigger: 'manual',
      result: 'switched',
      to: { host: '10.0.0.2', port: 6379 },
      durationMs: 100,
    });
    expect(first).toMatchObject({ execution: 'mymaster-1', trigger: 'odown', result: 'aborted', error: 'Vetoed', to: null, durationMs: 900 });
    expect(first!.phases.map((p) => [p.state, p.durationMs])).toEqual([
      ['+try-failover', 2],
      ['+failover-triggered', 1],
      ['+failover-state-select-slave', 7],
      ['+failover-approval-requested', 890],
    ]);
  });
});
