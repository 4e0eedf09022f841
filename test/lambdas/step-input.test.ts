/** Steps started by the voters trust the table, not their input. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import type { FailoverState } from '../../lambdas/core/workflow-state.ts';
import { DEFAULT_INVOCATION_BUDGET_MS, type StepDeps } from '../../lambdas/runtime/deps.ts';
import { run as selectSlave } from '../../lambdas/select-slave.ts';
import { startDynalite, type LocalDynamo } from '../../local/dynalite.ts';
import { failoverState } from '../support/failover-state.ts';

let dynamo: LocalDynamo;
let deps: StepDeps;
const master = { name: 'mymaster', host: '10.9.9.1', port: 6379 };

beforeAll(async () => {
  dynamo = await startDynalite();
  await createTable(dynamo.client, 'steps');
  const store = new DynamoDbStore({ client: dynamo.client, tableName: 'steps' });
  await store.ensureMaster(master);
  await store.addReplica('mymaster', { host: '10.9.9.2', port: 6379 });
  deps = {
    publisher: new MemoryPublisher(),
    linkOptions: async () => ({}),
    now: () => Date.now(),
    pollIntervalMs: 10,
    invocationBudgetMs: DEFAULT_INVOCATION_BUDGET_MS,
    store,
  };
});
afterAll(async () => {
  await dynamo?.stop();
});

function input(overrides: Partial<FailoverState>): FailoverState {
  return failoverState({ master, replicas: [{ host: '10.9.9.2', port: 6379 }], ...overrides });
}

describe('SelectSlave with a table', () => {
  it('refuses a master the table does not know', async () => {
    await expect(selectSlave(input({ master: { ...master, name: 'other' } }), deps)).rejects.toThrow('refusing input: no master named "other" in the table');
  });

  it('refuses a master address that is not the master of record', async () => {
    await expect(selectSlave(input({ master: { ...master, host: '10.9.9.66' } }), deps)).rejects.toThrow(
      'refusing input: mymaster is at 10.9.9.1:6379 in the table, not 10.9.9.66:6379',
    );
  });

  it('refuses a replica the table does not know, and publishes nothing', async () => {
    const publisher = new MemoryPublisher();
    await expect(selectSlave(input({ replicas: [{ host: '10.6.6.6', port: 6379 }] }), { ...deps, publisher })).rejects.toThrow(
      'refusing input: 10.6.6.6:6379 is not a known replica of mymaster',
    );
    expect(publisher.events).toEqual([]);
  });
});
