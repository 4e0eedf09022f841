/** The Lambda entry points as Lambda calls them: thin handlers over the same steps, events to EventBridge. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SwitchOutput } from '../../lambdas/core/workflow-state.ts';
import { failoverState } from '../support/failover-state.ts';
import { captureMetricLines } from '../support/metric-lines.ts';

const eventBridge = mockClient(EventBridgeClient);
const master = { name: 'mymaster', host: '10.0.0.1', port: 6379 };
const metrics = captureMetricLines();

beforeAll(() => {
  process.env.EVENT_BUS_NAME = 'redis-failover-test';
  process.env.REDIS_AUTH = '{}';
});
afterAll(() => {
  delete process.env.EVENT_BUS_NAME;
  delete process.env.REDIS_AUTH;
  eventBridge.restore();
});
beforeEach(() => {
  metrics.lines.length = 0;
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }, { EventId: '2' }] });
});

function sentEntries() {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

describe('Lambda handlers', () => {
  it('announce publishes each phase event to the bus, named as Sentinel names it', async () => {
    const { handler } = await import('../../lambdas/announce.ts');
    await handler({ events: ['+failover-triggered', '+failover-state-wait-start'], master, epoch: 3 });

    const entries = sentEntries();
    expect(entries.map((e) => e.DetailType)).toEqual(['+failover-triggered', '+failover-state-wait-start']);
    expect(entries.every((e) => e.EventBusName === 'redis-failover-test' && e.Source === 'io.github.redis-failover')).toBe(true);
    expect(JSON.parse(entries[0]!.Detail!)).toMatchObject({
      master: 'mymaster',
      epoch: 3,
      execution: 'mymaster-3',
      message: 'master mymaster 10.0.0.1 6379',
    });
  });

  it('announce refuses an event name Sentinel does not have', async () => {
    const { handler } = await import('../../lambdas/announce.ts');
    await expect(handler({ events: ['+made-up'], master, epoch: 1 })).rejects.toThrow('unknown Sentinel event "+made-up"');
    expect(sentEntries()).toHaveLength(0);
  });

  it('switch-master publishes +switch-master with the old and new addresses', async () => {
    const { handler } = await import('../../lambdas/switch-master.ts');
    const state = failoverState({
      master,
      epoch: 2,
      startedAt: Date.now() - 1500,
      selection: { found: true, promoted: { host: '10.0.0.2', port: 6379 }, promotedRunId: null, others: [], rejected: [], selectedAt: 0, askApproval: false },
    });
    const result = (await handler(state)) as SwitchOutput;

    // The failover's duration, from its start to the switch, as a metric of the group.
    const durations = metrics.lines
      .map((line) => JSON.parse(line) as { Master?: string; FailoverDuration?: number })
      .filter((m) => m.Master === 'mymaster' && m.FailoverDuration !== undefined);
    expect(durations).toHaveLength(1);
    expect(durations[0]!.FailoverDuration).toBeGreaterThanOrEqual(1500);
    expect(durations[0]!.FailoverDuration).toBeLessThan(60_000);

    expect(result.newMaster).toEqual({ host: '10.0.0.2', port: 6379 });
    const [entry] = sentEntries();
    expect(entry?.DetailType).toBe('+switch-master');
    expect(JSON.parse(entry!.Detail!)).toMatchObject({
      message: 'mymaster 10.0.0.1 6379 10.0.0.2 6379',
      oldMaster: { host: '10.0.0.1', port: 6379 },
      newMaster: { host: '10.0.0.2', port: 6379 },
    });
  });

  it('a step after SelectSlave refuses a state without a selected replica', async () => {
    const { handler } = await import('../../lambdas/switch-master.ts');
    const state = failoverState({ master, manual: true });
    await expect(handler(state)).rejects.toThrow('workflow state has no selected replica ($.selection.promoted)');
    expect(sentEntries()).toHaveLength(0);
  });

  it.each(['announce', 'abort-failover', 'select-slave', 'send-slaveof-noone', 'wait-promotion', 'reconf-slave', 'failover-end', 'switch-master'])(
    '%s answers a warm-up at once, touching nothing',
    async (step) => {
      const { handler } = (await import(`../../lambdas/${step}.ts`)) as { handler: (event: unknown) => Promise<unknown> };
      const started = Date.now();
      await expect(handler({ warmup: true })).resolves.toEqual({ warm: true });
      await expect(handler({ warmup: true, holdMs: 150 })).resolves.toEqual({ warm: true });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(sentEntries()).toHaveLength(0);
    },
  );
});
