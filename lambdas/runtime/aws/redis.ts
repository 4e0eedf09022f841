/**
 * How a workflow step reaches the servers of each master group: REDIS_AUTH and REDIS_TLS. The
 * steps get only the AUTH of each group, not the whole config (the probes validate that): no schema
 * to load at a cold start, and no more than a step needs.
 */
import type { RedisLinkOptions } from '../../core/interfaces.ts';
import type { MasterAuth } from '../../core/config.ts';
import { linkOptionsFrom, type AuthConfig } from '../credentials.ts';
import { jsonFromEnv, tlsFromEnv, type Env } from '../env.ts';
import { ConfigError } from '../../core/errors.ts';
import { perEnv } from './env-cache.ts';

/** `{"<master>": {"username"?: "…", "secretArn": "…"}}`, one entry per master group with AUTH (lib/redis-failover.ts writes it). */
export function authFromEnv(env: Env): AuthConfig {
  const document = jsonFromEnv(env, 'REDIS_AUTH');
  if (typeof document !== 'object' || document === null || Array.isArray(document)) throw new ConfigError('REDIS_AUTH: must be an object of master names');
  const masters = Object.entries(document as Record<string, unknown>).map(([name, value]) => ({ name, auth: authOf(name, value) }));
  return { masters };
}

function authOf(name: string, value: unknown): MasterAuth {
  const { username, secretArn } = (value ?? {}) as Record<string, unknown>;
  if (typeof secretArn !== 'string' || secretArn === '') throw new ConfigError(`REDIS_AUTH.${name}.secretArn: must be a non-empty string`);
  if (username !== undefined && (typeof username !== 'string' || username === ''))
    throw new ConfigError(`REDIS_AUTH.${name}.username: must be a non-empty string when present`);
  return { ...(username !== undefined && { username }), secretArn };
}

/** Credentials and TLS by master group; a group without an entry connects without AUTH. */
export const linkOptionsFromEnv = perEnv(['REDIS_AUTH', 'REDIS_TLS'], (env: Env): ((masterName: string) => Promise<RedisLinkOptions>) => {
  const { masters } = authFromEnv(env);
  const tls = tlsFromEnv(env);
  const withAuth = linkOptionsFrom({ masters }, tls);
  return async (masterName) => (masters.some((m) => m.name === masterName) ? withAuth(masterName) : tls ? { tls } : {});
});
