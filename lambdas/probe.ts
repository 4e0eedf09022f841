/**
 * The probe: one deployed function per subnet/AZ, one voter. The schedule starts it every
 * interval; each invocation takes the voter over from the one before (runtime/probe-session.ts),
 * watches every master, and hands over when the next one arrives.
 */
import type { Config } from './core/config.ts';
import type { VoterSessionStore } from './core/interfaces.ts';
import { ENDPOINT_ENV_KEYS, endpointCheckMsFromEnv, endpointFromEnv } from './runtime/aws/endpoint.ts';
import { ORCHESTRATOR_ENV_KEYS, orchestratorFromEnv } from './runtime/aws/orchestrator.ts';
import { perEnv } from './runtime/aws/env-cache.ts';
import { awsMetrics } from './runtime/aws/metrics.ts';
import { awsLogger } from './runtime/aws/log.ts';
import { required, type Env } from './runtime/env.ts';
import { runProbeSession, type SessionOutcome } from './runtime/probe-session.ts';
import { seedKnownReplicas } from './runtime/seed.ts';
import type { VoterDeps } from './runtime/voter-deps.ts';
import { Voter } from './runtime/voter.ts';
import { ConfigError } from './core/errors.ts';

/** The invocation saves its handover at the latest this long before the Lambda timeout (a tenth of the time left, when shorter). */
export const SAFETY_MS = 3000;

/** How long before the Lambda timeout an invocation with `remainingMs` stops watching. */
export function stopBeforeTimeoutMs(remainingMs: number): number {
  return Math.min(SAFETY_MS, remainingMs / 10);
}
const DEFAULT_INTERVAL_MS = 60_000;
const METRICS_FLUSH_MS = 10_000;

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

export interface ProbeSummary {
  readonly voter: string;
  /** Ticks of every master watch together. */
  readonly ticks: number;
  /** Why the voter died, when a (simulated) fault killed it. */
  readonly crashed: string | null;
  /** How this invocation took the voter and let it go. */
  readonly session: SessionOutcome;
}

export interface Probe {
  readonly config: Config;
  readonly deps: VoterDeps;
  readonly sessions: VoterSessionStore;
  readonly intervalMs: number;
  /** Releases the AWS clients' sockets. */
  destroy(): void;
}

/** Environment variables the probe (and the SDK's table client) reads; a change rebuilds the cached probe (only tests ever change them). */
const ENV_KEYS = ['VOTER_ID', 'PROBE_INTERVAL_MS', 'AWS_ENDPOINT_URL_DYNAMODB', ...ORCHESTRATOR_ENV_KEYS, ...ENDPOINT_ENV_KEYS] as const;

/**
 * Builds the voter's dependencies from the environment: VOTER_ID, PROBE_INTERVAL_MS (optional,
 * 60000), the orchestrator's variables (runtime/aws/orchestrator.ts) and the DNS endpoints' (runtime/aws/endpoint.ts). Throws a one-line Error naming the
 * variable at fault.
 */
export function probeDepsFromEnv(env: Env = process.env): Probe {
  const voterId = required(env, 'VOTER_ID');
  const intervalMs = intervalFromEnv(env);
  const { config, destroy, sessions, ...parts } = orchestratorFromEnv(env);
  // Voter notes hold names, addresses and error messages, never credentials.
  const endpoint = endpointFromEnv(env);
  const logger = awsLogger.with({ voter: voterId });
  const deps: VoterDeps = {
    ...parts,
    voterId,
    log: (line) => logger.info(line),
    metrics: awsMetrics,
    ...(endpoint && { endpoint, endpointCheckMs: endpointCheckMsFromEnv(env) }),
  };
  return { config, deps, sessions, intervalMs, destroy };
}

function intervalFromEnv(env: Env): number {
  const text = env.PROBE_INTERVAL_MS;
  if (text === undefined || text === '') return DEFAULT_INTERVAL_MS;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1000)
    throw new ConfigError(`PROBE_INTERVAL_MS must be a whole number of milliseconds, at least 1000 (got ${JSON.stringify(text)})`);
  return value;
}

/** Once per container: built, and the known replicas seeded. A failed start is retried by the next invocation. */
const probe = perEnv(
  ENV_KEYS,
  async (env: Env): Promise<Probe> => {
    const p = probeDepsFromEnv(env);
    try {
      await seedKnownReplicas(p.config.masters, p.deps);
    } catch (error) {
      p.destroy();
      throw error;
    }
    return p;
  },
  (previous) =>
    void previous.then(
      (p) => p.destroy(),
      () => undefined,
    ),
);

let invocations = 0;

export const handler = async (_event: unknown, context: LambdaContext): Promise<ProbeSummary> => {
  const started = Date.now();
  const remaining = context.getRemainingTimeInMillis();
  const { config, deps, sessions, intervalMs } = await probe();
  const voter = new Voter(config.masters, deps);
  const deadline = started + remaining - stopBeforeTimeoutMs(remaining);
  const holder = context.awsRequestId ?? `${deps.voterId}-${process.pid}-${++invocations}`;
  // Metrics leave every 10 s (a heartbeat the alarms watch) and at the end of the invocation.
  const flushing = setInterval(() => deps.metrics?.flush(), METRICS_FLUSH_MS);
  const session = await runProbeSession(voter, { store: sessions, now: deps.now, log: deps.log }, { holder, deadline, intervalMs }).finally(() => {
    clearInterval(flushing);
    deps.metrics?.flush();
  });
  return { voter: voter.id, ticks: voter.watches.reduce((sum, watch) => sum + watch.ticks, 0), crashed: voter.crashed, session };
};
