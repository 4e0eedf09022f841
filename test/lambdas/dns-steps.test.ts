/** The workflow's move of the primary DNS record: at the promotion, and before +switch-master whatever happened then. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import type { RecordSet } from '../../lambdas/core/endpoints.ts';
import type { FailoverState } from '../../lambdas/core/workflow-state.ts';
import { DEFAULT_INVOCATION_BUDGET_MS } from '../../lambdas/runtime/deps.ts';
import { MasterEndpoint, MemoryRecords } from '../../lambdas/runtime/endpoint.ts';
import { run as switchMaster } from '../../lambdas/switch-master.ts';
import { run as waitPromotion } from '../../lambdas/wait-promotion.ts';
import { RedisServers, type RedisServer } from '../../local/redis-servers.ts';
import { failoverState } from '../support/failover-state.ts';
import { testPorts } from '../support/ports.ts';

const settings = { zoneName: 'redis.internal', ttlSeconds: 5, reader: true };
const PRIMARY = 'mymaster.redis.internal';

/** Records whose writes fail, as Route 53 does when it throttles for longer than the SDK retries. */
class FailingRecords extends MemoryRecords {
  override async write(_record: RecordSet): Promise<void> {
    this.writes++;
    throw new Error('Rate exceeded');
  }
}

const servers = new RedisServers();
let promoted: RedisServer;
beforeAll(async () => {
  promoted = await servers.start({ port: await testPorts().take() });
});
afterAll(() => servers.stopAll());

function promotedState(over: Partial<FailoverState> = {}): FailoverState {
  const address = promoted.address;
  return failoverState({
    selection: { found: true, promoted: address, promotedRunId: null, others: [], rejected: [], selectedAt: Date.now(), askApproval: false },
    promotion: { sent: true, sentAt: Date.now(), confirmed: false, confirmedAt: null, timedOut: false },
    ...over,
  });
}

function deps(records: MemoryRecords) {
  const publisher = new MemoryPublisher();
  return {
    publisher,
    endpoint: new MasterEndpoint(records, settings),
    linkOptions: async () => ({}),
    now: () => Date.now(),
    pollIntervalMs: 10,
    invocationBudgetMs: DEFAULT_INVOCATION_BUDGET_MS,
  };
}

describe('WaitPromotion with DNS endpoints', () => {
  it('points the primary record at the promoted replica once it is master, and says +dns-update before +promoted-slave', async () => {
    const records = new MemoryRecords();
    const d = deps(records);
    const out = await waitPromotion(promotedState(), d);
    expect(out).toMatchObject({ confirmed: true, dnsUpdated: true });
    expect(await records.read(PRIMARY)).toEqual([{ name: PRIMARY, type: 'A', ttlSeconds: 5, values: ['127.0.0.1'] }]);
    expect(d.publisher.events.map((e) => e.type)).toEqual(['+dns-update', '+promoted-slave', '+failover-state-reconf-slaves']);
  });

  it('does not hold the failover when Route 53 refuses: the promotion is confirmed, the record left to SwitchMaster', async () => {
    const d = deps(new FailingRecords());
    const out = await waitPromotion(promotedState(), d);
    expect(out).toMatchObject({ confirmed: true, dnsUpdated: false });
    expect(d.publisher.events.map((e) => e.type)).toEqual(['+promoted-slave', '+failover-state-reconf-slaves']);
  });
});

describe('SwitchMaster with DNS endpoints', () => {
  it('writes nothing when WaitPromotion moved the record', async () => {
    const records = new MemoryRecords();
    const d = deps(records);
    await switchMaster(promotedState({ promotion: { sent: true, sentAt: 1, confirmed: true, confirmedAt: 1, timedOut: false, dnsUpdated: true } }), d);
    expect(records.writes).toBe(0);
    expect(d.publisher.events.map((e) => e.type)).toEqual(['+switch-master']);
  });

  it('moves the record before +switch-master when WaitPromotion could not (or never ran)', async () => {
    for (const dnsUpdated of [false, undefined]) {
      const records = new MemoryRecords();
      const d = deps(records);
      await switchMaster(
        promotedState({
          promotion: { sent: true, sentAt: 1, confirmed: true, confirmedAt: 1, timedOut: false, ...(dnsUpdated !== undefined && { dnsUpdated }) },
        }),
        d,
      );
      expect((await records.read(PRIMARY))[0]?.values).toEqual(['127.0.0.1']);
      expect(d.publisher.events.map((e) => e.type)).toEqual(['+dns-update', '+switch-master']);
    }
  });

  it('fails (the workflow retries it) and says nothing when the record cannot be written: +switch-master never comes before the name moved', async () => {
    const d = deps(new FailingRecords());
    await expect(
      switchMaster(promotedState({ promotion: { sent: true, sentAt: 1, confirmed: true, confirmedAt: 1, timedOut: false, dnsUpdated: false } }), d),
    ).rejects.toThrow('Rate exceeded');
    expect(d.publisher.events).toEqual([]);
  });
});
