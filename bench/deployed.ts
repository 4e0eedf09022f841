/**
 * Our side as deployed on AWS, run by the simulation (sim/deployment.ts): the stack synthesized
 * once for the benchmark's topology, then for each trial a fresh deployment of that assembly,
 * its failover chain made warm or cold before the kill. The aws counterpart of `startOurs` in
 * bench/trial.ts, which still observes the trial.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { DynamoDbStore } from '../lambdas/adapters/dynamodb-store.ts';
import type { Address } from '../lambdas/core/types.ts';
import { isWarmUp } from '../lambdas/runtime/aws/step.ts';
import { waitFor } from '../lambdas/core/wait.ts';
import type { DeployConfig } from '../lib/config-file.ts';
import { readAssembly, type Assembly, type ScheduleSpec } from '../sim/assembly.ts';
import { SimulatedDeployment } from '../sim/deployment.ts';
import type { FunctionSpec } from '../sim/lambda/function-spec.ts';
import type { SimEvent } from '../sim/services/eventbridge.ts';
import { synthesizeStack } from '../sim/synth.ts';
import type { Announcement, Chain, DeployedAccount, Running, StepInvocation, System, TrialOptions, TrialSystem } from './trial.ts';

const MASTER = 'mymaster';
const QUORUM = 2;
const PROBES = 3;

export interface StackSettings {
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  readonly parallelSyncs: number;
  /** How often each probe is started; below 60 s the stack cannot be deployed (EventBridge Scheduler), but it can be simulated. */
  readonly probeIntervalSeconds: number;
}

const SYSTEM_OF_CHAIN: Readonly<Record<Chain, System>> = { warm: 'redis-failover-aws-warm', cold: 'redis-failover-aws-cold' };

/** The synthesized stack of one benchmark run, for a master on `ports[0]`; its replicas on the other ports. */
export class BenchStack {
  private constructor(
    readonly dir: string,
    readonly assembly: Assembly,
    readonly ports: readonly number[],
  ) {}

  /** `cdk synth` in-process, every function bundled (about 15 s), into a temporary folder that remove() deletes. */
  static synthesize(ports: readonly number[], settings: StackSettings): BenchStack {
    const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-bench-cdk-out-'));
    try {
      const config: DeployConfig = {
        probes: PROBES,
        masters: [
          {
            name: MASTER,
            host: '127.0.0.1',
            port: ports[0]!,
            quorum: QUORUM,
            downAfterMs: settings.downAfterMs,
            failoverTimeoutMs: settings.failoverTimeoutMs,
            parallelSyncs: settings.parallelSyncs,
          },
        ],
      };
      synthesizeStack({ config, outdir: dir, failover: { probeInterval: Duration.seconds(settings.probeIntervalSeconds) } });
      return new BenchStack(dir, readAssembly(dir), ports);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A fresh deployment of the assembly; the caller stops it. */
  deploy(): Promise<SimulatedDeployment> {
    return SimulatedDeployment.start({ assembly: this.assembly });
  }

  /** The deployment as a trial system: a fresh one per trial over a topology on this stack's ports. */
  system(chain: Chain): TrialSystem {
    return { system: SYSTEM_OF_CHAIN[chain], topologyPorts: this.ports, start: (topology, options) => this.start(chain, topology.replicas.length, options) };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async start(chain: Chain, replicas: number, options: TrialOptions): Promise<Running> {
    const deployment = await this.deploy();
    let elected: SimEvent | undefined;
    let switched: SimEvent | undefined;
    let announce!: (value: Announcement) => void;
    let fail!: (error: Error) => void;
    const announced = new Promise<Announcement>((resolve, reject) => {
      announce = resolve;
      fail = reject;
    });
    // runTrial awaits it only after the kill: a timeout before then must not be an unhandled rejection.
    announced.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const off = deployment.events.on((event) => {
      if (event.detail.master !== MASTER) return;
      if (event.detailType === '+elected-leader') elected ??= event;
      const address = event.detailType === '+switch-master' ? addressOf(event.detail.newMaster) : null;
      if (address && !switched) {
        switched = event;
        clearTimeout(timer);
        announce({ at: event.receivedAt, address });
      }
    });
    const stop = async () => {
      clearTimeout(timer);
      off();
      await deployment.stop();
    };
    try {
      await watching(deployment, replicas);
      await (chain === 'warm' ? warm(deployment) : cold(deployment));
    } catch (error) {
      await stop();
      throw error;
    }
    // runTrial waits for the announcement without a limit; a simulated chain that never switches would hang the run.
    const limitMs = options.downAfterMs + 3 * options.failoverTimeoutMs + 60_000;
    timer = setTimeout(() => fail(new Error(`no +switch-master from the simulated deployment within ${limitMs} ms`)), limitMs);
    return {
      announced,
      account: async () => {
        // SwitchMaster publishes +switch-master and then ends: its record comes once the execution has.
        await within(deployment.stepFunctions.settled(), 30_000);
        if (!elected || !switched) throw new Error('the simulated deployment switched without +elected-leader');
        const since = elected.receivedAt;
        return { chain, electedToSwitchMs: switched.receivedAt - since, steps: failoverSteps(deployment, since) } satisfies DeployedAccount;
      },
      stop,
    };
  }
}

export interface NetworkedDeployment {
  /** The cloud assembly folder. */
  readonly assembly: string;
  /** The address every service listens on, reachable from each probe's network. */
  readonly host: string;
  /** The command probe i's containers start under (`ip netns exec <zone i>`), one per probe. */
  readonly probeLaunchers: ReadonlyArray<readonly string[]>;
  readonly replicas: number;
}

/**
 * The deployed stack across networks (a partition trial, bench/partition.ts): the services and the
 * step functions where this process runs, each probe function's containers in a network of its
 * own, as the probes run in three availability zones. Resolves once the voters watch every replica.
 */
export async function deployAcrossNetworks(options: NetworkedDeployment): Promise<SimulatedDeployment> {
  const assembly = readAssembly(options.assembly);
  const probes = assembly.functions.filter(isProbe).sort((a, b) => a.logicalId.localeCompare(b.logicalId));
  if (probes.length !== options.probeLaunchers.length)
    throw new Error(`the stack has ${probes.length} probes, given ${options.probeLaunchers.length} networks`);
  const launchers = new Map(probes.map((probe, i) => [probe.name, options.probeLaunchers[i]!]));
  const deployment = await SimulatedDeployment.start({ assembly, host: options.host, launcher: (spec) => launchers.get(spec.name) });
  try {
    await watching(deployment, options.replicas);
  } catch (error) {
    await deployment.stop();
    throw error;
  }
  return deployment;
}

const isProbe = (spec: FunctionSpec) => spec.logicalId.includes('Probes');

/** Probe functions: one per voter. */
export function probeFunctions(deployment: SimulatedDeployment): FunctionSpec[] {
  return deployment.lambda.specs.filter(isProbe);
}

/** The workflow's step functions: neither a probe nor the manual failover request. */
function stepFunctions(deployment: SimulatedDeployment): FunctionSpec[] {
  return deployment.lambda.specs.filter((spec) => !isProbe(spec) && !spec.logicalId.includes('RequestFailover'));
}

/** `FailoverSwitchMasterFunctionDA000DFE` → `FailoverSwitchMasterFunction`: CDK appends 8 hex digits of hash to each logical id. */
export function withoutHash(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/** The voters hold the master: every replica stored in the table, and every probe running an invocation. */
async function watching(deployment: SimulatedDeployment, replicas: number): Promise<void> {
  const store = new DynamoDbStore({ client: deployment.table.client(), tableName: deployment.assembly.tables[0]!.name });
  const probes = probeFunctions(deployment);
  // Every function cold-starts at deploy time (probes and warm-ups at once): on two cores that takes a while.
  await waitFor(
    async () => (await store.listReplicas(MASTER)).length >= replicas && probes.every((p) => deployment.lambda.containers(p.name).some((c) => c.busy)),
    {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: 'the voters to store every replica in the table',
    },
  );
}

function warmUpSchedules(deployment: SimulatedDeployment): ScheduleSpec[] {
  const schedules = deployment.assembly.schedules.filter((s) => s.logicalId.includes('WarmUp'));
  if (schedules.length === 0) throw new Error('the stack has no warm-up schedules (keepWarm is not "schedule")');
  return schedules;
}

/** Every warm-up schedule has fired (at deploy time) and each of its invocations has ended. */
async function warmUpsEnded(deployment: SimulatedDeployment, schedules: readonly ScheduleSpec[]): Promise<void> {
  const ids = new Set(schedules.map((s) => s.logicalId));
  await waitFor(
    () => {
      const firings = deployment.scheduler.firings.filter((f) => ids.has(f.schedule));
      const ended = new Set(deployment.lambda.invocations.map((i) => i.requestId));
      return [...ids].every((id) => firings.some((f) => f.schedule === id)) && firings.every((f) => ended.has(f.requestId));
    },
    { timeoutMs: 60_000, intervalMs: 50, what: 'every warm-up invocation to end' },
  );
}

async function warm(deployment: SimulatedDeployment): Promise<void> {
  await warmUpsEnded(deployment, warmUpSchedules(deployment));
}

/**
 * As after a quiet week without warm-ups: no warm-up from now on, and every step function's
 * environment ended (not the probes'), so each step of the failover starts a new one. The warm-ups
 * fired at deploy time must end first, or one still starting its container would escape the recycle.
 */
async function cold(deployment: SimulatedDeployment): Promise<void> {
  const schedules = warmUpSchedules(deployment);
  const warmUps = new Set(schedules.map((s) => s.logicalId));
  deployment.scheduler.pause((s) => warmUps.has(s.logicalId));
  await warmUpsEnded(deployment, schedules);
  const steps = new Set(stepFunctions(deployment).map((spec) => spec.name));
  await waitFor(
    () => {
      deployment.lambda.recycle((spec) => steps.has(spec.name));
      return [...steps].every((name) => deployment.lambda.containers(name).length === 0);
    },
    { timeoutMs: 30_000, intervalMs: 50, what: 'the step functions’ environments to be idle and recycled' },
  );
}

/** Step function invocations of the failover: from its +elected-leader on, warm-ups left out. */
function failoverSteps(deployment: SimulatedDeployment, since: number): StepInvocation[] {
  const names = new Map(stepFunctions(deployment).map((spec) => [spec.name, withoutHash(spec.logicalId)]));
  return deployment.lambda.invocations
    .filter((i) => names.has(i.function) && i.receivedAt >= since && !isWarmUp(i.event))
    .sort((a, b) => a.receivedAt - b.receivedAt)
    .map((i) => ({
      step: names.get(i.function)!,
      atMs: i.receivedAt - since,
      cold: i.cold,
      coldStartMs: i.coldStartMs,
      durationMs: i.endedAt - i.startedAt,
      outcome: i.outcome,
    }));
}

function addressOf(value: unknown): Address | null {
  if (typeof value !== 'object' || value === null) return null;
  const { host, port } = value as { host?: unknown; port?: unknown };
  return typeof host === 'string' && typeof port === 'number' ? { host, port } : null;
}

/** Waits for `promise`, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
