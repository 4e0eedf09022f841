/**
 * The probe: one deployed function per subnet/AZ, one voter. The schedule invokes it every
 * minute; each invocation watches every master until just before the Lambda timeout.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbStore } from './adapters/dynamodb-store.ts';
import { EventBridgePublisher } from './adapters/eventbridge-publisher.ts';
import { SfnStarter } from './adapters/sfn-starter.ts';
import type { RedisLinkOptions } from './adapters/redis.ts';
import { sameAddress } from './core/address.ts';
import { parseConfig, type Config, type MasterConfig } from './core/config.ts';
import { replicaEvent } from './core/events.ts';
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

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The SDK waits for a reply without limit by default: a hung request would hold a tick (and the
 * voter) past SAFETY_MS into the Lambda timeout. A table request normally takes milliseconds; one
 * that times out fails the tick, and the next tick (every ping period) tries again, so one retry
 * is enough: a hung table costs about 2 s per request.
 */
const tableClient = { maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true } };
/** Events and the workflow start are not retried by the next tick: the SDK's default retries, each attempt bounded. */
const requestHandler = { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true };

/** Environment variables the probe reads; a change rebuilds the cached probe (only tests ever change them). */
const ENV_KEYS = ['VOTER_ID', 'TABLE_NAME', 'STATE_MACHINE_ARN', 'EVENT_BUS_NAME', 'REDIS_FAILOVER_CONFIG', 'DYNAMODB_ENDPOINT', 'REDIS_TLS'] as const;

function required(env: Env, name: (typeof ENV_KEYS)[number]): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`${name} is not set`);
  return value;
}

/** The config document; JSON errors never quote the text (it may hold a password). */
function configFromEnv(env: Env): Config {
  const text = required(env, 'REDIS_FAILOVER_CONFIG');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const at = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new Error(`REDIS_FAILOVER_CONFIG: invalid JSON${at === undefined ? '' : ` (at position ${at})`}`);
  }
  return parseConfig(raw, 'REDIS_FAILOVER_CONFIG');
}

function tlsFromEnv(env: Env): boolean {
  const value = env.REDIS_TLS;
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`REDIS_TLS must be "true" or "false" (got ${JSON.stringify(value)})`);
}

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
  const endpoint = env.DYNAMODB_ENDPOINT;

  // An explicit endpoint is dynalite: dummy static credentials, never the default chain. On AWS: the default chain.
  const dynamo = endpoint
    ? new DynamoDBClient({ ...tableClient, endpoint, region: env.AWS_REGION ?? 'local-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } })
    : new DynamoDBClient(tableClient);
  const eventBridge = new EventBridgeClient({ requestHandler });
  const sfn = new SFNClient({ requestHandler });

  const linkOptions = async (masterName: string): Promise<RedisLinkOptions> => {
    const master = config.masters.find((m) => m.name === masterName);
    if (!master) throw new Error(`unknown master ${JSON.stringify(masterName)}`);
    return { ...(master.auth && { credentials: master.auth }), ...(tls && { tls }) };
  };

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

/**
 * Sentinel's `known-replica` lines, loaded at start: each configured replica the table does not
 * know yet is stored (`+slave`), so a master already dead when the probes start can still fail over.
 * Skips the current master of record (after a failover it may be one of them).
 */
export async function seedKnownReplicas(masters: readonly MasterConfig[], deps: Pick<VoterDeps, 'store' | 'publisher' | 'now' | 'voterId'>): Promise<void> {
  for (const master of masters) {
    if (master.knownReplicas.length === 0) continue;
    const record = (await deps.store.getMaster(master.name)) ?? (await deps.store.ensureMaster(master));
    const ref = { name: record.name, host: record.host, port: record.port };
    for (const replica of master.knownReplicas) {
      if (sameAddress(replica, record)) continue;
      const known = { host: replica.host, port: replica.port, runId: null, priority: 100, offset: 0, lastSeenAt: deps.now() };
      if (await deps.store.addReplica(master.name, known)) {
        const event = replicaEvent('+slave', replica, ref);
        await deps.publisher.publish([{ ...event, detail: { ...event.detail, voter: deps.voterId } }]);
      }
    }
  }
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
