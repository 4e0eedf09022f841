import { DescribeTableCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createTable, TABLE_KEY_SCHEMA } from '../../lambdas/adapters/dynamodb-store.ts';
import { startDynalite } from '../../local/dynalite.ts';
import { isPortFree } from '../../local/ports.ts';

describe('startDynalite', () => {
  it('serves DynamoDB on a loopback port, creates the table once, and frees the port on stop', async () => {
    const local = await startDynalite();
    const port = Number(new URL(local.endpoint).port);
    try {
      expect(local.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(port).toBeGreaterThan(0);
      expect(await isPortFree(port)).toBe(false);

      await createTable(local.client, 'failover');
      await createTable(local.client, 'failover'); // exists: a no-op, no error

      const { Table } = await local.client.send(new DescribeTableCommand({ TableName: 'failover' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual(TABLE_KEY_SCHEMA.KeySchema);
      expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      expect((await local.client.send(new ListTablesCommand({}))).TableNames).toEqual(['failover']);
    } finally {
      await local.stop();
    }
    expect(await isPortFree(port)).toBe(true);
    await local.stop(); // twice: harmless
  });

  it('uses the dummy local credentials and region, never the environment', async () => {
    const local = await startDynalite();
    try {
      expect(await local.client.config.region()).toBe('local-1');
      const credentials = await local.client.config.credentials();
      expect(credentials).toMatchObject({ accessKeyId: 'local', secretAccessKey: 'local' });
    } finally {
      await local.stop();
    }
  });
});
