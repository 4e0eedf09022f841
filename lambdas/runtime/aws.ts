import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDbStore } from '../adapters/dynamodb-store.ts';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.ts';
import { DEFAULT_INVOCATION_BUDGET_MS, DEFAULT_POLL_INTERVAL_MS, type StepDeps } from './deps.ts';
import { BOUNDED_REQUESTS, configFromEnv, dynamoClientFromEnv, linkOptionsFrom, required, tlsFromEnv, type Env } from './env.ts';

let cached: StepDeps | undefined;

/**
 * Dependencies of a workflow step running in Lambda, built once per container from its
 * environment: EVENT_BUS_NAME (required); TABLE_NAME (the table, when the voters run the
 * failovers); REDIS_FAILOVER_CONFIG (credentials of each master group); REDIS_TLS.
 */
export function awsDeps(env: Env = process.env): StepDeps {
  if (cached) return cached;
  const busName = required(env, 'EVENT_BUS_NAME');
  const tls = tlsFromEnv(env);
  const linkOptions = env.REDIS_FAILOVER_CONFIG ? linkOptionsFrom(configFromEnv(env), tls) : async () => (tls ? { tls } : {});
  cached = {
    publisher: new EventBridgePublisher({ client: new EventBridgeClient(BOUNDED_REQUESTS), busName }),
    linkOptions,
    now: () => Date.now(),
    pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
    invocationBudgetMs: DEFAULT_INVOCATION_BUDGET_MS,
    ...(env.TABLE_NAME ? { store: new DynamoDbStore({ client: dynamoClientFromEnv(env), tableName: env.TABLE_NAME }) } : {}),
  };
  return cached;
}
