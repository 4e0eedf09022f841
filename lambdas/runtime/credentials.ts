/**
 * Credentials and TLS for one master group, from the config: the password in the config, or read
 * from Secrets Manager (`auth.secretArn`, cached per container, see adapters/secrets.ts); the
 * secret's username, when it has one, wins over the config's. When a server refuses them, they are
 * read again: the secret, or the config through `reload` (the local runtime re-reads its file).
 */
import type { RedisCredentials, RedisLinkOptions } from '../core/interfaces.ts';
import { sharedSecretSource, type SecretSource } from '../adapters/secrets.ts';
import type { MasterAuth, MasterConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';

/** The master groups as far as credentials go: a name, and its AUTH if any. */
export interface AuthConfig {
  readonly masters: readonly Pick<MasterConfig, 'name' | 'auth'>[];
}

/** At most one renewal of a master group's credentials in this long: a server that keeps refusing them is not a reason to hammer Secrets Manager. */
const RENEW_PAUSE_MS = 5000;

export function linkOptionsFrom(
  config: AuthConfig,
  tls: boolean,
  secrets: () => SecretSource = sharedSecretSource,
  reload?: () => AuthConfig,
): (masterName: string) => Promise<RedisLinkOptions> {
  let current = config;
  const renewals = new Map<string, { readonly at: number; readonly value: Promise<RedisCredentials | undefined> }>();
  const find = (masterName: string): Pick<MasterConfig, 'name' | 'auth'> => {
    const master = current.masters.find((m) => m.name === masterName);
    if (!master) throw new ConfigError(`unknown master ${JSON.stringify(masterName)}`);
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

async function credentialsOf(
  auth: MasterAuth | undefined,
  secrets: () => SecretSource,
  options: { fresh?: boolean } = {},
): Promise<RedisCredentials | undefined> {
  if (auth === undefined) return undefined;
  if (auth.secretArn === undefined) {
    return { ...(auth.username !== undefined && { username: auth.username }), ...(auth.password !== undefined && { password: auth.password }) };
  }
  const secret = await (options.fresh ? secrets().refresh(auth.secretArn) : secrets().get(auth.secretArn));
  const username = secret.username ?? auth.username;
  return { ...(username !== undefined && { username }), password: secret.password };
}
