/**
 * The config: which masters to watch and how (Sentinel's `sentinel monitor` and per-master
 * directives). The one place it is parsed and validated, whatever it comes from: the config file
 * (the command line, the CDK app), the construct's props (lib/redis-failover.ts) and the functions'
 * REDIS_FAILOVER_CONFIG (lambdas/runtime/aws/orchestrator.ts). Bad input is refused before anything
 * starts, with a one-line message naming the source and the field.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ZonePreference } from './zones.ts';
import type { Address, FailoverSettings, MasterRef } from './types.ts';
import { ConfigError } from './errors.ts';
import { parseJsonText } from './json-text.ts';

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
  /**
   * The deployed flavour (the CDK app and the construct): `auth.secretArn` accepted, a password in
   * clear or from `passwordEnv` refused (it would be stored in clear in the Lambda environment), and a
   * secret named by its full ARN (IAM grants match the full ARN, suffix included).
   * @default false
   */
  readonly deployed?: boolean;
  /**
   * How `probes` was counted, when the config does not say it itself: the construct counts one per
   * availability zone, and says so when a quorum is larger.
   * @default - `probes` as the config gives it
   */
  readonly probesFrom?: string;
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
   * The local runtime's pre-failover veto: run with the failover's facts in the environment when
   * approval is asked; exit 0 approves, any other status vetoes; past the approval timeout it is
   * killed and the timeout's default applies. @default - none
   */
  readonly preFailoverCommand?: string;
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

/** What a config leaves out means these (configDocument leaves them out again). */
const DEFAULTS = { probes: 3, downAfterMs: 30_000, failoverTimeoutMs: 180_000, parallelSyncs: 1, waitStartSeconds: 0, masterRebootDownAfterMs: 0 } as const;

function intAtLeast(min: number, what = min === 1 ? 'a positive integer' : `an integer >= ${min}`) {
  return z
    .number({ error: expected(what) })
    .int()
    .min(min);
}

const host = z.string({ error: expected('a non-empty host name without whitespace') }).regex(/^\S+$/);
const port = z
  .number({ error: expected('an integer from 1 to 65535') })
  .int()
  .min(1)
  .max(65535);

/*
 * Master names: 1–64 of [A-Za-z0-9._-]. Sentinel's messages are space-separated
 * (`+switch-master <name> <ip> <port> …`), so a space or control character would make them
 * unparseable; and the name becomes part of the Step Functions execution name
 * `<name>-<epoch>`, which allows at most 80 characters and no spaces, control or special
 * characters (64 leaves room for `-` and a 15-digit epoch).
 */
const masterName = z.string({ error: expected('1 to 64 characters of A-Z a-z 0-9 . _ -', true) }).regex(/^[A-Za-z0-9._-]{1,64}$/);

const secret = z.string({ error: expected('a non-empty string') }).min(1);

/** A Secrets Manager secret's ARN, as the console shows it (never echoed: it could be a misplaced password). */
const SECRET_ARN_PATTERN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

const authSchema = z
  .strictObject({
    username: z
      .string({ error: expected('a non-empty string') })
      .min(1)
      .optional(),
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

/** The pre-failover veto's longest wait: the workflow's approval task times out at this ceiling whatever the config says. */
export const MAX_APPROVAL_SECONDS = 3600;
const DEFAULT_APPROVAL = { timeoutSeconds: 30, onTimeout: 'abort' } as const;

const masterSchema = z.strictObject({
  name: masterName,
  host,
  port,
  quorum: intAtLeast(1),
  downAfterMs: intAtLeast(1).default(DEFAULTS.downAfterMs),
  failoverTimeoutMs: intAtLeast(1).default(DEFAULTS.failoverTimeoutMs),
  parallelSyncs: intAtLeast(1).default(DEFAULTS.parallelSyncs),
  waitStartSeconds: intAtLeast(0).default(DEFAULTS.waitStartSeconds),
  masterRebootDownAfterMs: intAtLeast(0).default(DEFAULTS.masterRebootDownAfterMs),
  maxPromotionLagBytes: intAtLeast(0).optional(),
  zones: z
    .record(z.string().min(1), z.string({ error: expected('a zone name') }).min(1), { error: expected('an object of host, host:port or CIDR → zone') })
    .optional(),
  preferredZones: z.array(z.string({ error: expected('a zone name') }).min(1), { error: expected('a list of zone names') }).optional(),
  avoidSameZoneAsOldMaster: z.boolean({ error: expected('true or false') }).optional(),
  approval: z
    .strictObject({
      timeoutSeconds: intAtLeast(1)
        .max(MAX_APPROVAL_SECONDS, { error: `at most ${MAX_APPROVAL_SECONDS} (an hour)` })
        .default(DEFAULT_APPROVAL.timeoutSeconds),
      onTimeout: z.enum(['proceed', 'abort'], { error: expected('"proceed" or "abort"') }).default(DEFAULT_APPROVAL.onTimeout),
    })
    .optional(),
  preFailoverCommand: z
    .string({ error: expected('a shell command') })
    .min(1)
    .optional(),
  auth: authSchema.optional(),
  knownReplicas: z.array(replicaSchema).default([]),
  fencing: z
    .union([z.boolean(), z.strictObject({ minReplicas: intAtLeast(1).default(1), maxLagSeconds: intAtLeast(1).optional() })], {
      error: expected('true, false or { minReplicas, maxLagSeconds }'),
    })
    .default(false),
  witnesses: z.boolean({ error: expected('true or false') }).default(false),
});

const documentSchema = z.strictObject({
  probes: intAtLeast(1).default(DEFAULTS.probes),
  masters: z.array(masterSchema).min(1, { error: 'must list at least one master' }),
});

/** The rules across fields: the quorum within the probes, each name once. */
function configSchema(probesFrom: string | undefined) {
  return documentSchema.superRefine((config, ctx) => {
    const seen = new Map<string, number>();
    config.masters.forEach((m, i) => {
      if (m.quorum > config.probes) {
        ctx.addIssue({
          code: 'custom',
          path: ['masters', i, 'quorum'],
          message:
            probesFrom === undefined
              ? `quorum ${m.quorum} is larger than probes (${config.probes})`
              : `quorum ${m.quorum} is larger than the number of probes (${config.probes}: ${probesFrom})`,
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
}

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
function resolveAuth(master: ParsedMaster, index: number, source: string, options: { allowSecretArn: boolean }): MasterAuth | undefined {
  const auth = master.auth;
  if (auth === undefined) return undefined;
  if (auth.secretArn !== undefined) {
    if (!options.allowSecretArn) {
      fail(
        source,
        ['masters', index, 'auth', 'secretArn'],
        'the local runtime cannot read Secrets Manager (only the deployed Lambda functions do): give password or passwordEnv',
      );
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

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The deployed flavour's first rule, before any other: the message a password in clear gets, whatever else is wrong. */
function refusePasswords(raw: unknown, source: string): void {
  const masters = isRecord(raw) ? raw.masters : undefined;
  if (!Array.isArray(masters)) return;
  masters.forEach((master: unknown, i) => {
    const auth = isRecord(master) ? master.auth : undefined;
    if (!isRecord(auth)) return;
    for (const key of ['password', 'passwordEnv'] as const) {
      if (auth[key] !== undefined) {
        fail(
          source,
          ['masters', i, 'auth', key],
          'a deployed config cannot hold a password (it would be stored in clear in the Lambda environment): store it in Secrets Manager and give auth.secretArn',
        );
      }
    }
  });
}

/** A secret's ARN as Secrets Manager makes it ends in `-` and 6 characters; IAM grants on a partial one match nothing. */
function refusePartialArns(masters: readonly ParsedMaster[], source: string): void {
  masters.forEach((m, i) => {
    const arn = m.auth?.secretArn;
    if (arn !== undefined && !/-[A-Za-z0-9]{6}$/.test(arn)) {
      fail(
        source,
        ['masters', i, 'auth', 'secretArn'],
        'give the full ARN, with the 6-character suffix Secrets Manager adds to the name (IAM grants match the full ARN)',
      );
    }
  });
}

/** Validates a parsed config document; `source` prefixes every error message (a file name, a variable, the construct). */
export function parseConfig(raw: unknown, source = 'config', options: ParseOptions = {}): Config {
  if (options.deployed) refusePasswords(raw, source);
  const result = configSchema(options.probesFrom).safeParse(raw, { error: genericMessage });
  if (!result.success) {
    // Only the first issue: one line the operator can act on.
    const issue = result.error.issues[0];
    fail(source, issue?.path ?? [], issue?.message ?? 'invalid');
  }
  const { probes, masters } = result.data;
  if (options.deployed) refusePartialArns(masters, source);
  const resolveOptions = { allowSecretArn: options.allowSecretArn === true || options.deployed === true };
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
      ...(m.maxPromotionLagBytes !== undefined && { maxPromotionLagBytes: m.maxPromotionLagBytes }),
      ...zonePreferenceOf(m),
      ...approvalOf(m, i, source, options.deployed === true),
      auth: resolveAuth(m, i, source, resolveOptions),
      knownReplicas: m.knownReplicas,
      fencing: fencingOf(m),
      witnesses: m.witnesses,
    })),
  };
}

/** The veto's settings, present when the document asks for one (a local `preFailoverCommand` implies the defaults). */
function approvalOf(master: ParsedMaster, index: number, source: string, deployed: boolean): Pick<MasterConfig, 'approval' | 'preFailoverCommand'> {
  if (deployed && master.preFailoverCommand !== undefined) {
    fail(
      source,
      ['masters', index, 'preFailoverCommand'],
      'runs only under redis-failover local; deployed, answer the +failover-approval-requested event with SendTaskSuccess or SendTaskFailure (give approval instead)',
    );
  }
  if (master.approval === undefined && master.preFailoverCommand === undefined) return {};
  return {
    approval: master.approval ?? { ...DEFAULT_APPROVAL },
    ...(master.preFailoverCommand !== undefined && { preFailoverCommand: master.preFailoverCommand }),
  };
}

/** The zone settings as one preference, present when the document gives any of them. */
function zonePreferenceOf(master: ParsedMaster): { zonePreference?: ZonePreference } {
  if (master.zones === undefined && master.preferredZones === undefined && master.avoidSameZoneAsOldMaster === undefined) return {};
  return {
    zonePreference: {
      zones: master.zones ?? {},
      preferredZones: master.preferredZones ?? [],
      avoidSameZoneAsOldMaster: master.avoidSameZoneAsOldMaster ?? false,
    },
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

/** A config file's JSON: one-line errors naming the file, never quoting its text. */
export function readConfigJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${osReason(err)}`, { cause: err });
  }
  return parseJsonText(text, `cannot parse config file ${path}`);
}

/**
 * JSON text to a validated Config: a file's content, an environment variable's value. `what` names
 * the text in a JSON error, `source` prefixes a validation error.
 */
export function parseConfigText(text: string, source: string, options: ParseOptions = {}, what = source): Config {
  return parseConfig(parseJsonText(text, what), source, options);
}

/** Reads, parses and validates a JSON config file. */
export function loadConfig(path: string, options: ParseOptions = {}): Config {
  return parseConfig(readConfigJson(path), path, options);
}

/** The settings a failover carries in its workflow input (never the credentials). */
export function settingsOf(master: MasterConfig): FailoverSettings {
  const { downAfterMs, failoverTimeoutMs, parallelSyncs, waitStartSeconds, maxPromotionLagBytes, zonePreference, approval } = master;
  return {
    downAfterMs,
    failoverTimeoutMs,
    parallelSyncs,
    waitStartSeconds,
    ...(maxPromotionLagBytes !== undefined && { maxPromotionLagBytes }),
    ...(zonePreference !== undefined && { zonePreference }),
    ...(approval !== undefined && { approval }),
  };
}

// ---- the document -----------------------------------------------------------------

/**
 * A master group as a deployed config document spells it: the schema's input (defaults may be left
 * out), AUTH only as a secret. The construct's RedisMasterProps (lib/masters.ts) is this, documented.
 */
export type MasterDocument = Omit<z.input<typeof masterSchema>, 'auth' | 'preFailoverCommand'> & {
  readonly auth?: { readonly username?: string; readonly secretArn: string };
};

/** What the deployed functions receive in REDIS_FAILOVER_CONFIG, and what `parseConfig` reads back. */
export interface ConfigDocument {
  readonly probes?: number;
  readonly masters: readonly MasterDocument[];
}

const unlessDefault = <K extends keyof typeof DEFAULTS>(key: K, value: number): Partial<Record<K, number>> =>
  (value === DEFAULTS[key] ? {} : { [key]: value }) as Partial<Record<K, number>>;

/**
 * The document of a validated config: every value as parsed, the defaults left out, so that
 * `parseConfig(configDocument(config))` is `config` again. `probes: false` leaves `probes` out (a
 * deployment whose file gives none counts one per zone). A password is refused: only a deployed
 * config has a document, and it names secrets.
 */
export function configDocument(config: Config, options: { readonly probes?: boolean } = {}): ConfigDocument {
  const masters = config.masters.map((m, i): MasterDocument => {
    if (m.auth !== undefined && m.auth.secretArn === undefined) {
      throw new ConfigError(`masters[${i}].auth: a config document holds secrets, never a password`);
    }
    const secretArn = m.auth?.secretArn;
    const fencing = m.fencing;
    const defaultFence = fencing !== null && fencing.minReplicas === 1 && fencing.maxLagSeconds === defaultMaxLagSeconds(m.downAfterMs);
    return {
      name: m.name,
      host: m.host,
      port: m.port,
      quorum: m.quorum,
      ...unlessDefault('downAfterMs', m.downAfterMs),
      ...unlessDefault('failoverTimeoutMs', m.failoverTimeoutMs),
      ...unlessDefault('parallelSyncs', m.parallelSyncs),
      ...unlessDefault('waitStartSeconds', m.waitStartSeconds),
      ...unlessDefault('masterRebootDownAfterMs', m.masterRebootDownAfterMs),
      ...(m.maxPromotionLagBytes !== undefined && { maxPromotionLagBytes: m.maxPromotionLagBytes }),
      ...(m.zonePreference !== undefined && {
        zones: m.zonePreference.zones,
        preferredZones: [...m.zonePreference.preferredZones],
        avoidSameZoneAsOldMaster: m.zonePreference.avoidSameZoneAsOldMaster,
      }),
      ...(m.approval !== undefined && { approval: { ...m.approval } }),
      ...(secretArn !== undefined && { auth: { ...(m.auth?.username !== undefined && { username: m.auth.username }), secretArn } }),
      ...(m.knownReplicas.length > 0 && { knownReplicas: m.knownReplicas.map(({ host, port }) => ({ host, port })) }),
      ...(fencing !== null && { fencing: defaultFence ? true : { minReplicas: fencing.minReplicas, maxLagSeconds: fencing.maxLagSeconds } }),
      ...(m.witnesses && { witnesses: true }),
    };
  });
  return options.probes === false ? { masters } : { probes: config.probes, masters };
}
