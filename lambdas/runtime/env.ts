/**
 * What the Lambda functions read from their environment, in one place: the probe and the
 * workflow steps share the table, the bus and the config (for credentials and TLS).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RedisCredentials, RedisLinkOptions } from '../adapters/redis.ts';
import { sharedSecretSource, type SecretSource } from '../adapters/secrets.ts';
import { parseConfig, type Config, type MasterAuth, type MasterConfig } from '../core/config.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`${name} is not set`);
  return value;
}

/**
 * REDIS_FAILOVER_CONFIG: the config document as JSON. JSON errors never quote the text (it may hold
 * a password). `auth.secretArn` is accepted here: the deployed functions read Secrets Manager.
 */
export function configFromEnv(env: Env): Config {
  const text = required(env, 'REDIS_FAILOVER_CONFIG');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const at = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new Error(`REDIS_FAILOVER_CONFIG: invalid JSON${at === undefined ? '' : ` (at position ${at})`}`);
  }
  return parseConfig(raw, 'REDIS_FAILOVER_CONFIG', { allowSecretArn: true });
}

export function tlsFromEnv(env: Env): boolean {
  const value = env.REDIS_TLS;
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`REDIS_TLS must be "true" or "false" (got ${JSON.stringify(value)})`);
}

/** At most one renewal of a master group's credentials in this long: a server that keeps refusing them is not a reason to hammer Secrets Manager. */
export const RENEW_PAUSE_MS = 5000;

/**
 * Credentials and TLS for one master group, from the config. A password named by `auth.secretArn`
 * is read from Secrets Manager (cached per container, see adapters/secrets.ts); the secret's
 * username, when it has one, wins over the config's. When a server refuses them, they are read
 * again: the secret, or the config through `reload` (the local runtime re-reads its file).
 */
export function linkOptionsFrom(
  config: Pick<Config, 'masters'>,
  tls: boolean,
  secrets: () => SecretSource = sharedSecretSource,
  reload?: () => Pick<Config, 'masters'>,
): (masterName: string) => Promise<RedisLinkOptions> {
  let current = config;
  const renewals = new Map<string, { readonly at: number; readonly value: Promise<RedisCredentials | undefined> }>();
  const find = (masterName: string): MasterConfig => {
    const master = current.masters.find((m) => m.name === masterName);
    if (!master) throw new Error(`unknown master ${JSON.stringify(masterName)}`);
    return master;
  };
  const renew = (masterName: string): Promise<RedisCredentials | undefined> => {
    const now = Date.now();
    const last = renewals.get(masterName);
    if (last && now - last.at < RENEW_PAUSE_MS) return last.value;
    const value = (async () => {
      if (reload) current = reload();
      return credentialsOf(find(masterName).auth, secrets, { fresh: true });
    })();
    renewals.set(masterName, { at: now, value });
    return value;
  };
  return async (masterName) => {
    const credentials = await credentialsOf(find(masterName).auth, secrets);
    // Without credentials there is nothing to re-read, unless the config itself can be re-read (auth added to it later).
    const renewable = credentials !== undefined || reload !== undefined;
    return { ...(credentials && { credentials }), ...(renewable && { renewCredentials: () => renew(masterName) }), ...(tls && { tls }) };
  };
}

async function credentialsOf(auth: MasterAuth | undefined, secrets: () => SecretSource, options: { fresh?: boolean } = {}): Promise<RedisCredentials | undefined> {
  if (auth === undefined) return undefined;
  if (auth.secretArn === undefined) {
    return { ...(auth.username !== undefined && { username: auth.username }), ...(auth.password !== undefined && { password: auth.password }) };
  }
  const secret = await (options.fresh ? secrets().refresh(auth.secretArn) : secrets().get(auth.secretArn));
  const username = secret.username ?? auth.username;
  return { ...(username !== undefined && { username }), password: secret.password };
}

/**
 * The SDK waits for a reply without limit by default: a hung request would hold a tick (and the
 * voter) past its deadline. A table request normally takes milliseconds; one that times out fails
 * the tick, and the next tick tries again, so one retry is enough.
 */
const TABLE_CLIENT = { maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true } };

/**
 * The table's client. Endpoint, region and credentials are the SDK's own: the Lambda role's, and
 * AWS_ENDPOINT_URL_DYNAMODB when something (the simulation, a test) points it at a stand-in.
 */
export function dynamoClientFromEnv(): DynamoDBClient {
  return new DynamoDBClient(TABLE_CLIENT);
}

/** Events and the workflow start: the SDK's default retries, each attempt bounded. */
export const BOUNDED_REQUESTS = { requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true } };
