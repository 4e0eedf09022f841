import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbStore } from '../adapters/dynamodb-store.ts';
import { EventBridgePublisher } from '../adapters/eventbridge-publisher.ts';
import { SfnStarter } from '../adapters/sfn-starter.ts';
import type { Config } from '../core/config.ts';
import type { VoterSessionStore } from '../core/store.ts';
import { DEFAULT_INVOCATION_BUDGET_MS, DEFAULT_POLL_INTERVAL_MS, type StepDeps } from './deps.ts';
import { BOUNDED_REQUESTS, configFromEnv, dynamoClientFromEnv, linkOptionsFrom, required, tlsFromEnv, type Env } from './env.ts';
import type { LeaderDeps } from './leadership.ts';

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
    ...(env.TABLE_NAME ? { store: new DynamoDbStore({ client: dynamoClientFromEnv(), tableName: env.TABLE_NAME }) } : {}),
  };
  return cached;
}

/** What a function that leads failovers (a probe, the failover request) reads from its environment. */
export const ORCHESTRATOR_ENV_KEYS = ['TABLE_NAME', 'STATE_MACHINE_ARN', 'EVENT_BUS_NAME', 'REDIS_FAILOVER_CONFIG', 'REDIS_TLS'] as const;

export interface Orchestrator extends LeaderDeps {
  readonly config: Config;
  /** Who holds each voter (the probes' handover between invocations); the same table. */
  readonly sessions: VoterSessionStore;
  /** Releases the AWS clients' sockets. */
  destroy(): void;
}

/**
 * The table, the bus, the state machine and the credentials, from TABLE_NAME, STATE_MACHINE_ARN,
 * EVENT_BUS_NAME, REDIS_FAILOVER_CONFIG (the config document as JSON); REDIS_TLS ("true"/"false")
 * is optional. Throws a one-line Error naming the variable at fault.
 */
export function orchestratorFromEnv(env: Env = process.env): Orchestrator {
  const tableName = required(env, 'TABLE_NAME');
  const stateMachineArn = required(env, 'STATE_MACHINE_ARN');
  const busName = required(env, 'EVENT_BUS_NAME');
  const config = configFromEnv(env);
  const tls = tlsFromEnv(env);
  const dynamo = dynamoClientFromEnv();
  const eventBridge = new EventBridgeClient(BOUNDED_REQUESTS);
  const sfn = new SFNClient(BOUNDED_REQUESTS);
  const store = new DynamoDbStore({ client: dynamo, tableName });
  return {
    config,
    store,
    sessions: store,
    publisher: new EventBridgePublisher({ client: eventBridge, busName }),
    starter: new SfnStarter({ client: sfn, stateMachineArn }),
    linkOptions: linkOptionsFrom(config, tls),
    now: () => Date.now(),
    destroy: () => {
      dynamo.destroy();
      eventBridge.destroy();
      sfn.destroy();
    },
  };
}
