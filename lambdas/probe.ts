/**
 * The probe: one deployed function per subnet/AZ, one voter. The schedule invokes it every
 * minute; each invocation watches every master until just before the Lambda timeout.
 */
import type { Config } from './core/config.ts';
import { ORCHESTRATOR_ENV_KEYS, orchestratorFromEnv } from './runtime/aws.ts';
import { required, type Env } from './runtime/env.ts';
import { seedKnownReplicas } from './runtime/seed.ts';
import type { VoterDeps } from './runtime/voter-deps.ts';
import { Voter } from './runtime/voter.ts';

/** The invocation stops this long before the Lambda timeout. */
export const SAFETY_MS = 3000;

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface ProbeSummary {
  readonly voter: string;
  /** Ticks of every master watch together. */
  readonly ticks: number;
  /** Why the voter died, when a (simulated) fault killed it. */
  readonly crashed: string | null;
}

export interface Probe {
  readonly config: Config;
  readonly deps: VoterDeps;
  /** Releases the AWS clients' sockets. */
  destroy(): void;
}

/** Environment variables the probe reads; a change rebuilds the cached probe (only tests ever change them). */
const ENV_KEYS = ['VOTER_ID', ...ORCHESTRATOR_ENV_KEYS] as const;

/**
 * Builds the voter's dependencies from the environment: VOTER_ID and the orchestrator's
 * variables (runtime/aws.ts). Throws a one-line Error naming the variable at fault.
 */
export function probeDepsFromEnv(env: Env = process.env): Probe {
  const voterId = required(env, 'VOTER_ID');
  const { config, destroy, ...parts } = orchestratorFromEnv(env);
  // Voter notes hold names, addresses and error messages, never credentials.
  const deps: VoterDeps = { ...parts, voterId, log: (line) => console.log(`${voterId}: ${line}`) };
  return { config, deps, destroy };
}

let cached: { readonly key: string; readonly probe: Promise<Probe> } | undefined;

/** Once per container: built, and the known replicas seeded. A failed start is retried by the next invocation. */
function probe(): Promise<Probe> {
  const key = JSON.stringify(ENV_KEYS.map((name) => process.env[name] ?? null));
  if (cached?.key === key) return cached.probe;
  const previous = cached;
  const built = (async () => {
    if (previous) await previous.probe.then((p) => p.destroy(), () => undefined);
    const p = probeDepsFromEnv(process.env);
    try {
      await seedKnownReplicas(p.config.masters, p.deps);
    } catch (error) {
      p.destroy();
      throw error;
    }
    return p;
  })();
  const entry = { key, probe: built };
  cached = entry;
  built.catch(() => {
    if (cached === entry) cached = undefined;
  });
  return built;
}

export const handler = async (_event: unknown, context: LambdaContext): Promise<ProbeSummary> => {
  const { config, deps } = await probe();
  const voter = new Voter(config.masters, deps);
  await voter.run(Date.now() + context.getRemainingTimeInMillis() - SAFETY_MS);
  return { voter: voter.id, ticks: voter.watches.reduce((sum, watch) => sum + watch.ticks, 0), crashed: voter.crashed };
};
