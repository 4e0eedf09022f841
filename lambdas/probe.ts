/**
 * The probe: one deployed function per subnet/AZ, one voter. The schedule invokes it every
 * minute; each invocation watches every master until just before the Lambda timeout.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbStore } from './adapters/dynamodb-store.ts';
import { EventBridgePublisher } from './adapters/eventbridge-publisher.ts';
import { SfnStarter } from './adapters/sfn-starter.ts';
import type { Config } from './core/config.ts';
import { BOUNDED_REQUESTS, configFromEnv, dynamoClientFromEnv, linkOptionsFrom, required, tlsFromEnv, type Env } from './runtime/env.ts';
import { seedKnownReplicas } from './runtime/seed.ts';
import type { VoterDeps } from './runtime/master-watch.ts';
import { Voter } from './runtime/voter.ts';

/** The invocation stops this long before the Lambda timeout. */
export const SAFETY_MS = 3000;

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface ProbeSummary {
  readonly voter: string;
  /** Ticks of every master watch together. */
  readonly ticks: number;
  /** Why the voter died, when a (simulated) fault killed it. */
  readonly crashed: string | null;
}

export interface Probe {
  readonly config: Config;
  readonly deps: VoterDeps;
  /** Releases the AWS clients' sockets. */
  destroy(): void;
}

/** Environment variables the probe reads; a change rebuilds the cached probe (only tests ever change them). */
const ENV_KEYS = ['VOTER_ID', 'TABLE_NAME', 'STATE_MACHINE_ARN', 'EVENT_BUS_NAME', 'REDIS_FAILOVER_CONFIG', 'DYNAMODB_ENDPOINT', 'REDIS_TLS'] as const;

/**
 * Builds the voter's dependencies from the environment: VOTER_ID, TABLE_NAME, STATE_MACHINE_ARN,
 * EVENT_BUS_NAME, REDIS_FAILOVER_CONFIG (the config document as JSON) are required; REDIS_TLS
 * ("true"/"false") and DYNAMODB_ENDPOINT (dynalite, tests only) are optional.
 * Throws a one-line Error naming the variable at fault.
 */
export function probeDepsFromEnv(env: Env = process.env): Probe {
  const voterId = required(env, 'VOTER_ID');
  const tableName = required(env, 'TABLE_NAME');
  const stateMachineArn = required(env, 'STATE_MACHINE_ARN');
  const busName = required(env, 'EVENT_BUS_NAME');
  const config = configFromEnv(env);
  const tls = tlsFromEnv(env);
  const dynamo = dynamoClientFromEnv(env);
  const eventBridge = new EventBridgeClient(BOUNDED_REQUESTS);
  const sfn = new SFNClient(BOUNDED_REQUESTS);
  const linkOptions = linkOptionsFrom(config, tls);

  const deps: VoterDeps = {
    voterId,
    store: new DynamoDbStore({ client: dynamo, tableName }),
    publisher: new EventBridgePublisher({ client: eventBridge, busName }),
    starter: new SfnStarter({ client: sfn, stateMachineArn }),
    linkOptions,
    now: () => Date.now(),
    // Voter notes hold names, addresses and error messages, never credentials.
    log: (line) => console.log(`${voterId}: ${line}`),
  };
  const destroy = (): void => {
    dynamo.destroy();
    eventBridge.destroy();
    sfn.destroy();
  };
  return { config, deps, destroy };
}

let cached: { readonly key: string; readonly probe: Promise<Probe> } | undefined;

/** Once per container: built, and the known replicas seeded. A failed start is retried by the next invocation. */
function probe(): Promise<Probe> {
  const key = JSON.stringify(ENV_KEYS.map((name) => process.env[name] ?? null));
  if (cached?.key === key) return cached.probe;
  const previous = cached;
  const built = (async () => {
    if (previous) await previous.probe.then((p) => p.destroy(), () => undefined);
    const p = probeDepsFromEnv(process.env);
    try {
      await seedKnownReplicas(p.config.masters, p.deps);
    } catch (error) {
      p.destroy();
      throw error;
    }
    return p;
  })();
  const entry = { key, probe: built };
  cached = entry;
  built.catch(() => {
    if (cached === entry) cached = undefined;
  });
  return built;
}

export const handler = async (_event: unknown, context: LambdaContext): Promise<ProbeSummary> => {
  const { config, deps } = await probe();
  const voter = new Voter(config.masters, deps);
  await voter.run(Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS);
  return { voter: voter.id, ticks: voter.watches.reduce((sum, watch) => sum + watch.ticks, 0), crashed: voter.crashed };
};
