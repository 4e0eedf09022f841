/**
 * The voters' table: TABLE_NAME. Endpoint, region and credentials are the SDK's own (the Lambda
 * role's, and AWS_ENDPOINT_URL_DYNAMODB when something points it at a stand-in).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbStore } from '../../adapters/dynamodb-store.ts';
import { required, type Env } from '../env.ts';
import { registered, released } from './clients.ts';
import { perEnv } from './env-cache.ts';

/**
 * The SDK waits for a reply without limit by default: a hung request would hold a tick (and the
 * voter) past its deadline. A table request normally takes milliseconds; one that times out fails
 * the tick, and the next tick tries again, so one retry is enough.
 */
const TABLE_CLIENT = { maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true } };

export function tableClient(): DynamoDBClient {
  return new DynamoDBClient(TABLE_CLIENT);
}

const tableFromEnv = perEnv(
  ['TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB'],
  (env: Env): { client: DynamoDBClient; store: DynamoDbStore } | undefined => {
    if (!env.TABLE_NAME) return undefined;
    const client = registered(tableClient());
    return { client, store: new DynamoDbStore({ client, tableName: required(env, 'TABLE_NAME') }) };
  },
  (previous) => previous && released(previous.client),
);

/**
 * The store of a workflow step that uses the table (one per container); none without TABLE_NAME
 * (the workflow deployed alone, for one-shot failovers with nothing to record).
 */
export function storeFromEnv(env: Env = process.env): DynamoDbStore | undefined {
  return tableFromEnv(env)?.store;
}
