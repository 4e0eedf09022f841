/**
 * The config file: which masters to watch and how (Sentinel's `sentinel monitor` and
 * per-master directives, under the names in reference/sentinel.md).
 * Bad input is refused before anything starts, with a one-line message naming the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Address, FailoverSettings, MasterRef } from './types.ts';
import { ConfigError } from './errors.ts';

export interface MasterAuth {
  readonly username?: string;
  /** The password itself, from the file or from the variable `passwordEnv` names. */
  readonly password?: string;
  /**
   * A Secrets Manager secret holding the password (and maybe the username), read at run time by
   * the deployed Lambda functions only (lambdas/adapters/secrets.ts). Set instead of `password`.
   */
  readonly secretArn?: string;
}

export interface ParseOptions {
  /**
   * Accept `auth.secretArn`. Only the deployed Lambda functions can read Secrets Manager, so the
   * CDK app and the Lambda runtime set this; the local runtime leaves it off and a config naming
   * a secret is refused at that field.
   * @default false
   */
  readonly allowSecretArn?: boolean;
}

/** One master, every default filled and the password resolved. */
export interface MasterConfig extends MasterRef, FailoverSettings {
  readonly quorum: number;
  /**
   * Sentinel's `master-reboot-down-after-period`: after the master restarts (a new run_id), how long
   * it may answer -LOADING before it counts as down, so a replica holding the data takes over
   * rather than clients waiting for a long load. 0: -LOADING is acceptable for ever (Sentinel's default).
   */
  readonly masterRebootDownAfterMs: number;
  readonly auth: MasterAuth | undefined;
  /** Sentinel's `known-replica` lines: lets a failover proceed when the master is already dead at start. */
  readonly knownReplicas: readonly Address[];
  /**
   * Fencing the orchestrator manages (beyond Sentinel): the voters keep `min-replicas-to-write` and
   * `min-replicas-max-lag` set on every server of the group, so whichever is master stops
   * acknowledging writes within about `maxLagSeconds` once cut off from its replicas. Null: off.
   */
  readonly fencing: Fencing | null;
  /**
   * The witness rule (beyond Sentinel): no automatic failover while a replica the voters reach
   * still replicates from the master with its link up (core/detection.ts, witnessSeesMaster).
   */
  readonly witnesses: boolean;
}

export interface Fencing {
  readonly minReplicas: number;
  readonly maxLagSeconds: number;
}

/** The lag window by default: a second more than down-after, so a replica's ACK (every second) late by one never refuses writes. */
export function defaultMaxLagSeconds(downAfterMs: number): number {
  return Math.ceil(downAfterMs / 1000) + 1;
}

export interface Config {
  /** Number of voters (probe functions); quorum is counted among them. */
  readonly probes: number;
  readonly masters: readonly MasterConfig[];
}

// ---- messages ---------------------------------------------------------------------

interface RawIssue {
  readonly code?: string;
  readonly input?: unknown;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Builds a field's error message. A wrong string is shown only with `echo`, set for names
 * and never for credentials, so a password cannot reach an error message. Numbers are
 * shown; other wrong types by their type name.
 */
function expected(what: string, echo = false) {
  return (issue: RawIssue): string => {
    const value = issue.input;
    if (value === undefined) return `is required (${what})`;
    if (typeof value === 'string') return echo ? `must be ${what} (got ${JSON.stringify(value)})` : `must be ${what}`;
    return `must be ${what} (got ${typeof value === 'number' ? String(value) : typeName(value)})`;
  };
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/** Messages for issues no field-level message covers (objects, arrays, unknown keys). */
function genericMessage(issue: RawIssue & { expected?: unknown; keys?: unknown }): string | undefined {
  if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys)) {
    const keys = issue.keys.map((k) => JSON.stringify(String(k))).join(', ');
    return issue.keys.length === 1 ? `unknown key ${keys}` : `unknown keys ${keys}`;
  }
  if (issue.code === 'invalid_type' && typeof issue.expected === 'string') {
    return expected(article(issue.expected))(issue);
  }
  return undefined;
}

// ---- schema -----------------------------------------------------------------------

function intAtLeast(min: number, what = min === 1 ? 'a positive integer' : `an integer >= ${min}`) {
  return z.number({ error: expected(what) }).int().min(min);
}

const host = z.string({ error: expected('a non-empty host name without whitespace') }).regex(/^\S+$/);
const port = z.number({ error: expected('an integer from 1 to 65535') }).int().min(1).max(65535);

/*
 * Master names: 1–64 of [A-Za-z0-9._-]. Sentinel's messages are space-separated
 * (`+switch-master <name> <ip> <port> …`), so a space or control character would make them
 * unparseable; and the name becomes part of the Step Functions execution name
 * `<name>-<epoch>`, which allows at most 80 characters and no spaces, control or special
 * characters (64 leaves room for `-` and a 15-digit epoch).
 */
const masterName = z
  .string({ error: expected('1 to 64 characters of A-Z a-z 0-9 . _ -', true) })
  .regex(/^[A-Za-z0-9._-]{1,64}$/);

const secret = z.string({ error: expected('a non-empty string') }).min(1);

/** A Secrets Manager secret's ARN, as the console shows it (never echoed: it could be a misplaced password). */
export const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

const authSchema = z
  .strictObject({
    username: z.string({ error: expected('a non-empty string') }).min(1).optional(),
    password: secret.optional(),
    passwordEnv: z
      .string({ error: expected('an environment variable name') })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    secretArn: z
      .string({ error: expected('the ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>)') })
      .regex(SECRET_ARN_PATTERN)
      .optional(),
  })
  .refine((a) => [a.password, a.passwordEnv, a.secretArn].filter((v) => v !== undefined).length === 1, {
    error: 'give exactly one of password, passwordEnv or secretArn',
  });

const replicaSchema = z.strictObject({ host, port });

const masterSchema = z.strictObject({
  name: masterName,
  host,
  port,
  quorum: intAtLeast(1),
  downAfterMs: intAtLeast(1).default(30_000),
  failoverTimeoutMs: intAtLeast(1).default(180_000),
  parallelSyncs: intAtLeast(1).default(1),
  waitStartSeconds: intAtLeast(0).default(0),
  masterRebootDownAfterMs: intAtLeast(0).default(0),
  auth: authSchema.optional(),
  knownReplicas: z.array(replicaSchema).default([]),
  fencing: z
    .union([z.boolean(), z.strictObject({ minReplicas: intAtLeast(1).default(1), maxLagSeconds: intAtLeast(1).optional() })], {
      error: expected('true, false or { minReplicas, maxLagSeconds }'),
    })
    .default(false),
  witnesses: z.boolean({ error: expected('true or false') }).default(false),
});

const configSchema = z
  .strictObject({
    probes: intAtLeast(1).default(3),
    masters: z.array(masterSchema).min(1, { error: 'must list at least one master' }),
  })
  .superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.masters.forEach((m, i) => {
      if (m.quorum > config.probes) {
        ctx.addIssue({
          code: 'custom',
          path: ['masters', i, 'quorum'],
          message: `quorum ${m.quorum} is larger than probes (${config.probes})`,
        });
      }
      const first = seen.get(m.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['masters', i, 'name'],
          message: `duplicate master name ${JSON.stringify(m.name)} (also masters[${first}].name)`,
        });
      }
      seen.set(m.name, i);
    });
  });

type ParsedMaster = z.infer<typeof masterSchema>;

// ---- parsing ----------------------------------------------------------------------

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function fail(source: string, path: readonly PropertyKey[], problem: string): never {
  const where = path.length > 0 ? `${formatPath(path)}: ` : '';
  throw new ConfigError(`${source}: ${where}${problem}`);
}

/** The password itself, or read from the environment variable `passwordEnv` names; a secret stays a reference. */
function resolveAuth(master: ParsedMaster, index: number, source: string, options: ParseOptions): MasterAuth | undefined {
  const auth = master.auth;
  if (auth === undefined) return undefined;
  if (auth.secretArn !== undefined) {
    if (!options.allowSecretArn) {
      fail(source, ['masters', index, 'auth', 'secretArn'], 'the local runtime cannot read Secrets Manager (only the deployed Lambda functions do): give password or passwordEnv');
    }
    return { ...(auth.username !== undefined && { username: auth.username }), secretArn: auth.secretArn };
  }
  let password = auth.password;
  if (auth.passwordEnv !== undefined) {
    password = process.env[auth.passwordEnv];
    if (password === undefined || password === '') {
      fail(source, ['masters', index, 'auth', 'passwordEnv'], `environment variable ${auth.passwordEnv} is not set or empty`);
    }
  }
  return { ...(auth.username !== undefined && { username: auth.username }), password };
}

/** Validates a parsed config document; `source` prefixes every error message (usually the file name). */
export function parseConfig(raw: unknown, source = 'config', options: ParseOptions = {}): Config {
  const result = configSchema.safeParse(raw, { error: genericMessage });
  if (!result.success) {
    // Only the first issue: one line the operator can act on.
    const issue = result.error.issues[0];
    fail(source, issue?.path ?? [], issue?.message ?? 'invalid');
  }
  const { probes, masters } = result.data;
  return {
    probes,
    masters: masters.map((m, i) => ({
      name: m.name,
      host: m.host,
      port: m.port,
      quorum: m.quorum,
      downAfterMs: m.downAfterMs,
      failoverTimeoutMs: m.failoverTimeoutMs,
      parallelSyncs: m.parallelSyncs,
      waitStartSeconds: m.waitStartSeconds,
      masterRebootDownAfterMs: m.masterRebootDownAfterMs,
      auth: resolveAuth(m, i, source, options),
      knownReplicas: m.knownReplicas,
      fencing: fencingOf(m),
      witnesses: m.witnesses,
    })),
  };
}

function fencingOf(master: ParsedMaster): Fencing | null {
  if (master.fencing === false) return null;
  const given: { minReplicas?: number; maxLagSeconds?: number } = master.fencing === true ? {} : master.fencing;
  return { minReplicas: given.minReplicas ?? 1, maxLagSeconds: given.maxLagSeconds ?? defaultMaxLagSeconds(master.downAfterMs) };
}

/** `ENOENT (no such file or directory)` from Node's `ENOENT: no such file or directory, open 'x'`. */
function osReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as NodeJS.ErrnoException).code;
  const text = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message)?.[1];
  return code !== undefined && text !== undefined ? `${code} (${text})` : err.message;
}

/**
 * V8's JSON errors may quote the text around the error (`… "password": hunter2 … is not
 * valid JSON`), which could hold a password: keep only the problem and its line and column.
 */
function jsonProblem(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/is not valid JSON$/.test(message)) return 'invalid JSON (unexpected token)';
  const at = /^(.*) in JSON at position (\d+)/.exec(message);
  if (at?.[1] === undefined || at[2] === undefined) return `invalid JSON (${message})`;
  const before = text.slice(0, Number(at[2])).split('\n');
  const line = before.length;
  const column = (before[before.length - 1]?.length ?? 0) + 1;
  return `invalid JSON (${at[1]} at line ${line} column ${column})`;
}

/** Reads, parses and validates a JSON config file. */
export function loadConfig(path: string, options: ParseOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${osReason(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`cannot parse config file ${path}: ${jsonProblem(text, err)}`);
  }
  return parseConfig(raw, path, options);
}

/** The settings a failover carries in its workflow input (never the credentials). */
export function settingsOf(master: MasterConfig): FailoverSettings {
  const { downAfterMs, failoverTimeoutMs, parallelSyncs, waitStartSeconds } = master;
  return { downAfterMs, failoverTimeoutMs, parallelSyncs, waitStartSeconds };
}
