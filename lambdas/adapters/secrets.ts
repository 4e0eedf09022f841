/**
 * Redis AUTH from AWS Secrets Manager, for the deployed Lambda functions (`auth.secretArn` in the
 * config). The secret is either JSON `{ "password": "…", "username"?: "…" }` (other keys, such as
 * `host` or `engine`, are ignored) or a plain string, the password itself.
 *
 * Each secret is read once per container and kept for `ttlMs` (5 minutes), and read again at once
 * when a server refuses it (`refresh`), so a rotated password is picked up at its first refusal.
 * Neither the value nor any part of it ever reaches an error message or a log line.
 */
// A static import: the bundle leaves the SDK to the Lambda runtime, which provides it to `require` (NODE_PATH), not
// to a dynamic `import()` (ESM resolution from the task root finds no SDK there; the simulation showed it).
import { GetSecretValueCommand, type GetSecretValueCommandOutput, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from '../core/errors.ts';

export interface RedisSecret {
  readonly username?: string;
  readonly password: string;
}

/** Where credentials named by a secret ARN come from. */
export interface SecretSource {
  get(secretArn: string): Promise<RedisSecret>;
  /** Reads the secret again now (the cached value was refused), and caches the new value. */
  refresh(secretArn: string): Promise<RedisSecret>;
}

export interface SecretsManagerSourceOptions {
  readonly client?: SecretsManagerClient;
  /** How long a secret read is reused. @default 300000 (5 minutes) */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export const SECRET_TTL_MS = 5 * 60_000;

/** The SDK waits without limit by default; a probe tick must not hang on Secrets Manager. */
const BOUNDED = { requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true } };

/** Reads secrets with GetSecretValue, each cached for `ttlMs`; a failed read is not cached. */
export class SecretsManagerSource implements SecretSource {
  readonly #client: SecretsManagerClient;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { readonly at: number; readonly value: Promise<RedisSecret> }>();

  constructor(options: SecretsManagerSourceOptions = {}) {
    this.#client = options.client ?? new SecretsManagerClient(BOUNDED);
    this.#ttlMs = options.ttlMs ?? SECRET_TTL_MS;
    this.#now = options.now ?? (() => Date.now());
  }

  get(secretArn: string): Promise<RedisSecret> {
    const hit = this.#cache.get(secretArn);
    if (hit && this.#now() - hit.at < this.#ttlMs) return hit.value;
    return this.refresh(secretArn);
  }

  refresh(secretArn: string): Promise<RedisSecret> {
    const now = this.#now();
    // Concurrent callers share one read.
    const value = this.#read(secretArn);
    const entry = { at: now, value };
    this.#cache.set(secretArn, entry);
    value.catch(() => {
      if (this.#cache.get(secretArn) === entry) this.#cache.delete(secretArn);
    });
    return value;
  }

  async #read(secretArn: string): Promise<RedisSecret> {
    let out: GetSecretValueCommandOutput;
    try {
      out = await this.#client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    } catch (error) {
      // SDK errors name the secret and the caller, never the value.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new ConfigError(`cannot read secret ${secretArn}: ${reason}`, { cause: error });
    }
    return parseRedisSecret(out.SecretString, secretArn);
  }
}

/** A secret's text as Redis credentials. Errors name the secret and the problem, never the content. */
export function parseRedisSecret(text: string | undefined, secretArn: string): RedisSecret {
  if (text === undefined) throw new ConfigError(`secret ${secretArn} has no SecretString (a binary secret cannot hold a Redis password)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    if (text === '') throw new ConfigError(`secret ${secretArn} is empty`);
    return { password: text };
  }
  const { password, username } = parsed as Record<string, unknown>;
  if (typeof password !== 'string' || password === '') {
    throw new ConfigError(`secret ${secretArn}: a JSON secret must hold a non-empty string "password"`);
  }
  if (username !== undefined && (typeof username !== 'string' || username === '')) {
    throw new ConfigError(`secret ${secretArn}: "username", when present, must be a non-empty string`);
  }
  return { ...(username !== undefined && { username }), password };
}

let shared: SecretsManagerSource | undefined;

/** One source per container, created on first use: a config without secrets never builds the client. */
export function sharedSecretSource(): SecretSource {
  shared ??= new SecretsManagerSource();
  return shared;
}
