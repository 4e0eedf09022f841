/**
 * How the Lambda composition keeps what it builds: once per container, and built again when a
 * variable it reads changes (only tests change them), so a cached part never answers for another
 * environment. The part it replaces is released (its clients' sockets closed).
 */
import type { Env } from '../env.ts';

export function perEnv<T>(keys: readonly string[], build: (env: Env) => T, release?: (previous: T) => void): (env?: Env) => T {
  let cached: { readonly key: string; readonly value: T } | undefined;
  const cache = (env: Env = process.env): T => {
    const key = JSON.stringify(keys.map((name) => env[name] ?? null));
    if (cached?.key === key) return cached.value;
    if (cached) release?.(cached.value);
    cached = undefined;
    // A build that throws caches nothing: the next invocation tries again.
    const value = build(env);
    cached = { key, value };
    // A start that fails later (a rejected promise) is forgotten too.
    if (value instanceof Promise) {
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
    }
    return value;
  };
  return cache;
}
