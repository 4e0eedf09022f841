import { DescribeTableCommand, DynamoDBClient, GetItemCommand, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { TABLE_KEY_SCHEMA } from '../../../lambdas/adapters/dynamodb-store.ts';
import { isPortFree } from '../../../local/ports.ts';
import { TableStandIn } from '../../../sim/services/dynamodb.ts';
import type { SimTable } from '../../../sim/services/dynamodb.ts';
import { standInLifecycle } from '../../support/stand-ins.ts';

/** The project's own table (lambdas/adapters/dynamodb-store.ts). */
const TABLE: SimTable = { name: 'failover', keySchema: [...TABLE_KEY_SCHEMA.KeySchema], attributeDefinitions: [...TABLE_KEY_SCHEMA.AttributeDefinitions] };

const lifecycle = standInLifecycle();

function standIn(tables: SimTable[] = [TABLE]): Promise<TableStandIn> {
  return lifecycle.start(TableStandIn.start({ tables }));
}

/** A function's client: through the proxy, one attempt, a short timeout of its own. */
function client(s: TableStandIn, accessKeyId = 'AKIDPROBE1'): DynamoDBClient {
  return lifecycle.client(DynamoDBClient, s.url, accessKeyId, { requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } });
}

const key = { pk: { S: 'master#mymaster' }, sk: { S: 'lease' } };

describe('TableStandIn', () => {
  // First in the file: no earlier test's servers are still closing, so the count is exact.
  it('start fails, and leaves no server listening, when a table cannot be created', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const before = servers();
    await expect(TableStandIn.start({ tables: [TABLE, TABLE] })).rejects.toMatchObject({ name: 'ResourceInUseException' });
    await until(() => servers() <= before); // a closed server leaves the list a moment later
  });

  it('creates the tables (PAY_PER_REQUEST, ACTIVE) and passes requests through to dynalite', async () => {
    const s = await standIn([TABLE, { ...TABLE, name: 'other' }]);
    const ddb = client(s);
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'failover' }));
    expect(Table).toMatchObject({ TableStatus: 'ACTIVE', KeySchema: TABLE.keySchema, BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } });
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual(['failover', 'other']);

    await ddb.send(new PutItemCommand({ TableName: 'failover', Item: { ...key, epoch: { N: '3' } } }));
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'failover', Key: key, ConsistentRead: true }));
    expect(Item).toEqual({ ...key, epoch: { N: '3' } });

    // The document client (what the store adapter uses) through the proxy, the simulator's own client around it.
    const doc = DynamoDBDocumentClient.from(client(s, 'AKIDRECONF'));
    await doc.send(new PutCommand({ TableName: 'failover', Item: { pk: 'p', sk: 's', list: [1, 'two'] } }));
    const direct = await DynamoDBDocumentClient.from(s.client()).send(new GetCommand({ TableName: 'failover', Key: { pk: 'p', sk: 's' } }));
    expect(direct.Item).toEqual({ pk: 'p', sk: 's', list: [1, 'two'] });
  });

  it("counts requests by caller and operation, not the simulator's own", async () => {
    const s = await standIn();
    const probe = client(s, 'AKIDPROBE1');
    const reconf = client(s, 'AKIDRECONF');
    const t0 = Date.now();
    await probe.send(new GetItemCommand({ TableName: 'failover', Key: key }));
    await reconf.send(new PutItemCommand({ TableName: 'failover', Item: key }));
    await s.client().send(new GetItemCommand({ TableName: 'failover', Key: key })); // not through the proxy
    const t1 = Date.now();
    await probe.send(new GetItemCommand({ TableName: 'failover', Key: key }));

    expect(s.requests().map((r) => [r.operation, r.caller])).toEqual([
      ['GetItem', 'AKIDPROBE1'],
      ['PutItem', 'AKIDRECONF'],
      ['GetItem', 'AKIDPROBE1'],
    ]);
    expect(s.requests({ caller: 'AKIDPROBE1' })).toHaveLength(2);
    expect(s.requests({ caller: 'AKIDRECONF' }).map((r) => r.operation)).toEqual(['PutItem']);
    expect(s.requests({ since: t1 }).length).toBeGreaterThanOrEqual(1);
    expect(s.requests({ since: t1 }).every((r) => r.at >= t1)).toBe(true);
    expect(s.requests({ since: t0 })).toHaveLength(3);
  });

  it("fail('refuse'): the SDK sees a network error, and the request is still counted", async () => {
    const s = await standIn();
    const ddb = client(s);
    await ddb.send(new GetItemCommand({ TableName: 'failover', Key: key })); // a keep-alive socket to reuse
    s.fail('refuse');
    const error = await ddb.send(new GetItemCommand({ TableName: 'failover', Key: key })).catch((e: unknown) => e as Error & { code?: string });
    // The SDK files a reset connection under TimeoutError; the code tells it from a timeout.
    expect(error).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    expect(error).not.toHaveProperty('$metadata.httpStatusCode');
    expect(s.requests().map((r) => r.operation)).toEqual(['GetItem', 'GetItem']);
    s.fail('none');
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual(['failover']);
  });

  it("fail('error'): HTTP 500 InternalServerError, as the SDK names it", async () => {
    const s = await standIn();
    s.fail('error');
    await expect(client(s).send(new GetItemCommand({ TableName: 'failover', Key: key }))).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    // The simulator's own client is not behind the fault.
    expect((await s.client().send(new ListTablesCommand({}))).TableNames).toEqual(['failover']);
  });

  it("fail('hang'): no answer, so the client's own timeout fires; stop() still frees the port", async () => {
    const s = await TableStandIn.start({ tables: [TABLE] });
    const port = Number(new URL(s.url).port);
    try {
      s.fail('hang');
      const t0 = Date.now();
      await expect(client(s).send(new GetItemCommand({ TableName: 'failover', Key: key }))).rejects.toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT' });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
      expect(s.requests()).toHaveLength(1);
      // A second hanging request, left open: stop() must not wait for it.
      void client(s)
        .send(new ListTablesCommand({}))
        .catch(() => undefined);
      await until(() => s.requests().length === 2);
    } finally {
      await s.stop();
    }
    expect(await isPortFree(port)).toBe(true);
  });

  it('stop() frees the proxy port and the dynalite behind it, and the direct client is closed', async () => {
    const s = await TableStandIn.start({ tables: [TABLE] });
    const port = Number(new URL(s.url).port);
    await client(s).send(new ListTablesCommand({}));
    expect(await isPortFree(port)).toBe(false);
    await s.stop();
    expect(await isPortFree(port)).toBe(true);
    await s.stop(); // twice: harmless
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
