/** The master's record on first use (lambdas/runtime/seed.ts): real redis-server processes, the table in dynalite. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTable, DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { parseConfig, type MasterConfig } from '../../lambdas/core/config.ts';
import type { Address } from '../../lambdas/core/types.ts';
import { masterRecord } from '../../lambdas/runtime/seed.ts';
import { startDynalite, type LocalDynamo } from '../../local/dynalite.ts';
import { RedisServers } from '../../local/redis-servers.ts';
import { testPorts } from '../support/ports.ts';
import { startTopology } from '../support/topology.ts';

const ports = testPorts();
let dynamo: LocalDynamo;
let servers: RedisServers;
let table = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});
afterAll(async () => {
  await dynamo.stop();
});
beforeEach(() => {
  servers = new RedisServers();
});
afterEach(async () => {
  await servers.stopAll();
});

async function freshStore(): Promise<DynamoDbStore> {
  const tableName = `seed-${++table}`;
  await createTable(dynamo.client, tableName);
  return new DynamoDbStore({ client: dynamo.client, tableName });
}

function configured(at: Address): MasterConfig {
  return parseConfig({ probes: 3, masters: [{ name: 'mymaster', host: at.host, port: at.port, quorum: 2 }] }).masters[0]!;
}

async function recordFor(master: MasterConfig, store: DynamoDbStore, log: string[] = []): Promise<Address> {
  const record = await masterRecord(master, { store, linkOptions: async () => ({}), log: (line) => log.push(line) });
  return { host: record.host, port: record.port };
}

describe('masterRecord', () => {
  it('creates the record at the configured master when it is one', async () => {
    const topology = await startTopology(servers, ports, { replicas: [{}] });
    expect(await recordFor(configured(topology.master.address), await freshStore())).toEqual(topology.master.address);
  });

  it('creates it at the master the configured one follows, and says so', async () => {
    const topology = await startTopology(servers, ports, { replicas: [{}] });
    const [replica] = topology.replicas;
    const log: string[] = [];
    expect(await recordFor(configured(replica!.address), await freshStore(), log)).toEqual(topology.master.address);
    expect(log).toEqual([
      `mymaster: the configured master ${replica!.address.host}:${replica!.options.port} follows 127.0.0.1:${topology.master.options.port}, which answers as a master: monitoring 127.0.0.1:${topology.master.options.port} (update the config file)`,
    ]);
  });

  it('keeps the configured address when what it follows does not answer as a master (dead, or a replica itself)', async () => {
    const chain = await startTopology(servers, ports, { replicas: [{}] });
    const [middle] = chain.replicas;
    const last = await servers.start({ port: await ports.take(), replicaOf: middle!.address });
    expect(await recordFor(configured(last.address), await freshStore())).toEqual(last.address);

    await chain.master.kill();
    expect(await recordFor(configured(middle!.address), await freshStore())).toEqual(middle!.address);
  });

  it('never moves a record that exists: the table knows better than the config', async () => {
    const topology = await startTopology(servers, ports, { replicas: [{}] });
    const store = await freshStore();
    const [replica] = topology.replicas;
    await store.ensureMaster({ name: 'mymaster', ...replica!.address });
    expect(await recordFor(configured(replica!.address), store)).toEqual(replica!.address);
  });
});
