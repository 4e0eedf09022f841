import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';

const doc = mockClient(DynamoDBDocumentClient);

beforeEach(() => {
  doc.reset();
});

describe('DynamoDbStore (mocked client)', () => {
  it('tryStartFailover lets a non-conditional error through unchanged, without reading the record to explain it', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    doc.on(UpdateCommand).rejects(throttled);
    const client = new DynamoDBClient({ region: 'local-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const store = new DynamoDbStore({ client, tableName: 'failover' });

    const outcome = await store
      .tryStartFailover('mymaster', { expectedMaster: { host: '10.0.0.1', port: 6379 }, expectedEpoch: 0, leader: 'probe-a', now: 1, leaseMs: 10, blockMs: 20 })
      .then(
        () => 'resolved',
        (err: unknown) => err,
      );

    expect(outcome).toBe(throttled);
    expect(doc.commandCalls(UpdateCommand)).toHaveLength(1);
    expect(doc.commandCalls(GetCommand)).toHaveLength(0);
  });
});
