/**
 * What a function that leads failovers (a probe, the failover request) is built from: the table,
 * the bus, the state machine and the config, from TABLE_NAME, STATE_MACHINE_ARN, EVENT_BUS_NAME,
 * REDIS_FAILOVER_CONFIG (the config document as JSON) and REDIS_TLS ("true"/"false", optional).
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbStore } from '../../adapters/dynamodb-store.ts';
import { awsPublisher } from './events.ts';
import { SfnStarter } from '../../adapters/sfn-starter.ts';
import { SfnExecutions } from '../../adapters/sfn-history.ts';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { parseConfigText, type Config } from '../../core/config.ts';
import type { FailoverExecutions, VoterSessionStore } from '../../core/interfaces.ts';
import { linkOptionsFrom } from '../credentials.ts';
import { BOUNDED_REQUESTS, required, tlsFromEnv, type Env } from '../env.ts';
import type { LeaderDeps } from '../leadership.ts';
import { tableClient } from './table.ts';

/** What a function that leads failovers reads from its environment. */
export const ORCHESTRATOR_ENV_KEYS = ['TABLE_NAME', 'STATE_MACHINE_ARN', 'EVENT_BUS_NAME', 'REDIS_FAILOVER_CONFIG', 'REDIS_TLS', 'VOTER_IDS'] as const;

/**
 * A probe's session whose invocation ended this recently still counts as running: the next
 * scheduled invocation takes it over within a schedule period (a minute).
 */
const SESSION_GRACE_MS = 70_000;

/**
 * REDIS_FAILOVER_CONFIG, through the parser the config file and the construct go through. `auth.secretArn`
 * is accepted: the deployed functions read Secrets Manager.
 */
export function configFromEnv(env: Env): Config {
  return parseConfigText(required(env, 'REDIS_FAILOVER_CONFIG'), 'REDIS_FAILOVER_CONFIG', { allowSecretArn: true });
}

export interface Orchestrator extends LeaderDeps {
  readonly config: Config;
  /** The state machine's executions, for the failover history (the request function's `history`). */
  readonly executions: FailoverExecutions;
  /** Which probes run now, from their sessions (VOTER_IDS names them; the request function's `status`). */
  readonly voters: () => Promise<Array<{ voter: string; alive: boolean }>>;
  /** Who holds each voter (the probes' handover between invocations); the same table. */
  readonly sessions: VoterSessionStore;
  /** Releases the AWS clients' sockets. */
  destroy(): void;
}

/** Throws a one-line ConfigError naming the variable at fault. */
export function orchestratorFromEnv(env: Env = process.env): Orchestrator {
  const tableName = required(env, 'TABLE_NAME');
  const stateMachineArn = required(env, 'STATE_MACHINE_ARN');
  const busName = required(env, 'EVENT_BUS_NAME');
  const config = configFromEnv(env);
  const tls = tlsFromEnv(env);
  const dynamo = tableClient();
  const eventBridge = new EventBridgeClient(BOUNDED_REQUESTS);
  const sfn = new SFNClient(BOUNDED_REQUESTS);
  const store = new DynamoDbStore({ client: dynamo, tableName });
  return {
    config,
    store,
    sessions: store,
    publisher: awsPublisher(eventBridge, busName),
    starter: new SfnStarter({ client: sfn, stateMachineArn }),
    executions: new SfnExecutions(sfn, stateMachineArn),
    voters: async () => {
      const ids = (env['VOTER_IDS'] ?? '').split(',').filter((id) => id !== '');
      const now = Date.now();
      const sessions = await Promise.all(ids.map((id) => store.getSession(id, { snapshot: false })));
      return ids.map((voter, i) => ({ voter, alive: sessions[i] != null && sessions[i]!.deadline + SESSION_GRACE_MS >= now }));
    },
    linkOptions: linkOptionsFrom(config, tls),
    now: () => Date.now(),
    destroy: () => {
      dynamo.destroy();
      eventBridge.destroy();
      sfn.destroy();
    },
  };
}
