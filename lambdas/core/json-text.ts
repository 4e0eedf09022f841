/**
 * JSON text a person wrote (a config file, a Lambda environment variable), parsed. Its own module,
 * without the config schema, so that a step function reading REDIS_AUTH loads no schema at a cold start.
 */
import { ConfigError, messageOf } from './errors.ts';

/**
 * V8's JSON errors may quote the text around the error (`… "password": hunter2 … is not
 * valid JSON`), which could hold a password: keep only the problem and its line and column.
 */
function jsonProblem(text: string, err: unknown): string {
  const message = messageOf(err);
  if (/is not valid JSON$/.test(message)) return 'invalid JSON (unexpected token)';
  const at = /^(.*) in JSON at position (\d+)/.exec(message);
  if (at?.[1] === undefined || at[2] === undefined) return `invalid JSON (${message})`;
  const before = text.slice(0, Number(at[2])).split('\n');
  const line = before.length;
  const column = (before[before.length - 1]?.length ?? 0) + 1;
  return `invalid JSON (${at[1]} at line ${line} column ${column})`;
}

/** The parsed value, or a one-line ConfigError `<what>: invalid JSON (…)` that never quotes the text. */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // No `cause`: V8's message may quote the text, and a logged error prints its cause.
    throw new ConfigError(`${what}: ${jsonProblem(text, err)}`);
  }
}
