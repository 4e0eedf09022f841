/** Reading a Lambda function's environment: the helpers every composition in runtime/aws/ shares. */

export type Env = Readonly<Record<string, string | undefined>>;

export function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new Error(`${name} is not set`);
  return value;
}

/** A JSON variable, parsed; an error never quotes the text (it may hold a password). */
export function jsonFromEnv(env: Env, name: string): unknown {
  const text = required(env, name);
  try {
    return JSON.parse(text);
  } catch (error) {
    const at = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
    throw new Error(`${name}: invalid JSON${at === undefined ? '' : ` (at position ${at})`}`);
  }
}

export function tlsFromEnv(env: Env): boolean {
  const value = env.REDIS_TLS;
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`REDIS_TLS must be "true" or "false" (got ${JSON.stringify(value)})`);
}

/** Events and the workflow start: the SDK's default retries, each attempt bounded. */
export const BOUNDED_REQUESTS = { requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true } };
