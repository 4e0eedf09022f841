/**
 * Reading a Lambda function's environment: the helpers every composition in runtime/aws/ shares.
 * A missing or bad variable is a ConfigError: the deployment's config, one line naming the variable.
 */
import { ConfigError } from '../core/errors.ts';
import { parseJsonText } from '../core/json-text.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} is not set`);
  return value;
}

/** A JSON variable, parsed as a config file's text is; an error never quotes the text (it may hold a password). */
export function jsonFromEnv(env: Env, name: string): unknown {
  return parseJsonText(required(env, name), name);
}

export function tlsFromEnv(env: Env): boolean {
  const value = env.REDIS_TLS;
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`REDIS_TLS must be "true" or "false" (got ${JSON.stringify(value)})`);
}

/** Events and the workflow start: the SDK's default retries, each attempt bounded. */
export const BOUNDED_REQUESTS = { requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true } };
