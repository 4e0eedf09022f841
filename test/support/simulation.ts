/**
 * The deployed stack on this machine, for the test files that prove what only exists on AWS:
 * the stack synthesized once per file (bundles and all) for a config naming this worker's
 * loopback ports, then for each test a fresh deployment of that assembly over fresh redis-server
 * processes, everything stopped when the test ends; or one deployment shared by consecutive
 * tests that can each cope with what the ones before left (`shared`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, onTestFailed } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';
import type { DeployConfig } from '../../lib/config-file.ts';
import type { RedisFailoverStackProps } from '../../lib/failover-stack.ts';
import type { RedisMasterProps } from '../../lib/masters.ts';
import { RedisServers, type RedisServer } from '../../local/redis-servers.ts';
import { readAssembly, type Assembly } from '../../sim/assembly.ts';
import { dataPoints, type DataPoint } from '../../sim/cloudwatch.ts';
import { SimulatedDeployment, type DeploymentOptions } from '../../sim/deployment.ts';
import type { SimEvent } from '../../sim/services/eventbridge.ts';
import { synthesizeStack } from '../../sim/synth.ts';
import { testPorts } from './ports.ts';

/** Probes started every 3 s instead of every minute: the handover happens every few seconds. */
export const PROBE_INTERVAL_MS = 3000;

export interface MasterGroup {
  readonly name: string;
  readonly ports: readonly [number, number, number];
  /** `requirepass` of its servers, which the functions read from a secret (`auth.secretArn`). */
  readonly password?: string;
}

/** The secret of a group with a password, as Secrets Manager names it (with its 6-character suffix). */
export function secretArnOf(group: string): string {
  return `arn:aws:secretsmanager:local-1:000000000000:secret:redis/${group}-AbCdEf`;
}

export interface SimulatedSuite {
  /** The assembly synthesized for this file (read again from disk by each deployment). */
  assembly(): Assembly;
  readonly groups: Readonly<Record<string, MasterGroup>>;
  /** The assembly's folder (`cdk.out`). */
  readonly dir: string;
  /** A fresh deployment of the assembly (or of another folder); stopped after the test. */
  deploy(options?: Partial<DeploymentOptions>): Promise<SimulatedDeployment>;
  /** Each group's master and two replicas, started for this test; stopped after it. */
  topology(group: string): Promise<GroupServers>;
  /**
   * Every group's servers and a deployment watching them all, kept from one test to the next
   * while each test's `use` allows it (a deployment takes seconds to start and watch); else a
   * new one, the last stopped first. Stopped before any per-test `deploy`/`topology`, and after the file.
   */
  shared(use: SharedUse): Promise<{ deployment: SimulatedDeployment; topologies: Readonly<Record<string, GroupServers>> }>;
}

export interface GroupServers {
  readonly master: RedisServer;
  readonly replicas: readonly RedisServer[];
}

/** What a test does with a shared deployment: whether it can run on one that earlier tests used. */
export interface SharedUse {
  /** The groups whose masters the test kills: a group fails over once per deployment (epoch 1, execution `<group>-1`). */
  readonly failsOver: readonly string[];
  /** It reads the deployment's whole history (every invocation, every attempt): no failover or fault may come before it. */
  readonly firstOnIt?: boolean;
  /** It injects a fault besides its kills (a crashed container, a refused table, paused warm-ups). */
  readonly faults?: boolean;
}

interface Shared {
  readonly deployment: SimulatedDeployment;
  readonly servers: RedisServers;
  readonly topologies: Readonly<Record<string, GroupServers>>;
  readonly failedOver: Set<string>;
  /** A group failed over or a fault was injected. */
  disturbed: boolean;
  /** A test on it failed: whatever it left (a refused table, say) is not for the next test. */
  spoiled: boolean;
}

/**
 * Synthesizes the stack for `masters` (each a group of three servers on this worker's ports) in
 * beforeAll. `failover` adds construct props; the probe interval is PROBE_INTERVAL_MS.
 */
export function simulatedSuite(
  masters: ReadonlyArray<{
    name: string;
    quorum: number;
    downAfterMs: number;
    failoverTimeoutMs?: number;
    password?: string;
    /** More of the group's config, from its servers' ports (zones by `host:port`, say). */
    more?: (ports: MasterGroup['ports']) => Partial<RedisMasterProps>;
  }>,
  failover: RedisFailoverStackProps['failover'] = {},
): SimulatedSuite {
  const ports = testPorts();
  const groups: Record<string, MasterGroup> = {};
  let outdir: string | undefined;
  let deployments: SimulatedDeployment[] = [];
  let servers = new RedisServers();
  let shared: Shared | undefined;

  async function releaseShared(): Promise<void> {
    const last = shared;
    shared = undefined;
    await last?.deployment.stop();
    await last?.servers.stopAll();
  }

  function startDeployment(options: Partial<DeploymentOptions>): Promise<SimulatedDeployment> {
    // Each password in its secret, as the operator stores it before deploying.
    const secrets = Object.fromEntries(Object.values(groups).flatMap((g) => (g.password === undefined ? [] : [[secretArnOf(g.name), g.password]])));
    return SimulatedDeployment.start({ assembly: outdir!, secrets, ...options });
  }

  async function startGroup(on: RedisServers, name: string): Promise<GroupServers> {
    const {
      ports: [masterPort, ...replicaPorts],
      password,
    } = groups[name]!;
    const master = await on.start({ port: masterPort, password });
    const replicas = [];
    for (const port of replicaPorts) replicas.push(await on.start({ port, replicaOf: master.address, password }));
    await waitFor(async () => (await master.info()).connectedReplicas.filter((r) => r.state === 'online').length === replicas.length, {
      timeoutMs: 10_000,
      what: `the replicas of ${name} online`,
    });
    return { master, replicas };
  }

  /** The shared deployment can take a test that does `use`. */
  function takes(current: Shared, use: SharedUse): boolean {
    return !current.spoiled && !(use.firstOnIt && current.disturbed) && use.failsOver.every((group) => !current.failedOver.has(group));
  }

  beforeAll(async () => {
    for (const master of masters) {
      groups[master.name] = {
        name: master.name,
        ports: [await ports.take(), await ports.take(), await ports.take()],
        ...(master.password !== undefined && { password: master.password }),
      };
    }
    const config: DeployConfig = {
      probes: 3,
      masters: masters.map((m) => ({
        name: m.name,
        host: '127.0.0.1',
        port: groups[m.name]!.ports[0],
        quorum: m.quorum,
        downAfterMs: m.downAfterMs,
        failoverTimeoutMs: m.failoverTimeoutMs ?? 10_000,
        ...(m.password !== undefined && { auth: { secretArn: secretArnOf(m.name) } }),
        ...m.more?.(groups[m.name]!.ports),
      })),
    };
    outdir = mkdtempSync(path.join(tmpdir(), 'redis-failover-cdk-out-'));
    synthesizeStack({ config, outdir, failover: { probeInterval: Duration.millis(PROBE_INTERVAL_MS), ...failover } });
  }, 180_000);

  afterEach(async () => {
    for (const deployment of deployments) await deployment.stop();
    deployments = [];
    await servers.stopAll();
    servers = new RedisServers();
  });

  afterAll(async () => {
    await releaseShared();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  return {
    groups,
    get dir() {
      return outdir!;
    },
    assembly: () => readAssembly(outdir!),
    async deploy(options = {}) {
      // One simulation at a time, and the shared one's servers hold the groups' ports.
      await releaseShared();
      const deployment = await startDeployment(options);
      deployments.push(deployment);
      return deployment;
    },
    async topology(name) {
      await releaseShared();
      return startGroup(servers, name);
    },
    async shared(use) {
      if (!shared || !takes(shared, use)) {
        await releaseShared();
        const on = new RedisServers();
        const topologies: Record<string, GroupServers> = {};
        let deployment: SimulatedDeployment | undefined;
        try {
          for (const name of Object.keys(groups)) topologies[name] = await startGroup(on, name);
          deployment = await startDeployment({});
        } catch (error) {
          await deployment?.stop();
          await on.stopAll();
          throw error;
        }
        shared = { deployment, servers: on, topologies, failedOver: new Set(), disturbed: false, spoiled: false };
      }
      const current = shared;
      onTestFailed(() => {
        current.spoiled = true;
      });
      for (const group of use.failsOver) current.failedOver.add(group);
      if (use.failsOver.length > 0 || use.faults) current.disturbed = true;
      for (const name of Object.keys(groups)) await watching(current.deployment, name);
      return { deployment: current.deployment, topologies: current.topologies };
    },
  };
}

/** Events of one master group, optionally of one type. */
export function eventsOf(deployment: SimulatedDeployment, master: string, type?: string): SimEvent[] {
  return deployment.events.events.filter((e) => e.detail.master === master && (type === undefined || e.detailType === type));
}

/** Waits for the first event of `type` about `master` (published after `since`). */
export function nextEvent(
  deployment: SimulatedDeployment,
  master: string,
  type: string,
  options: { since?: number; timeoutMs?: number } = {},
): Promise<SimEvent> {
  return waitFor(() => eventsOf(deployment, master, type).find((e) => e.receivedAt >= (options.since ?? 0)), {
    timeoutMs: options.timeoutMs ?? 30_000,
    intervalMs: 10,
    what: `${type} of ${master}`,
  });
}

/** Every voter has discovered both replicas of the group (the table knows them) and holds a session. */
export async function watching(deployment: SimulatedDeployment, master: string): Promise<void> {
  // Every function starts cold at deploy time, all at once: on two busy cores that takes a while.
  await waitFor(() => eventsOf(deployment, master, '+slave').length >= 2, { timeoutMs: 45_000, what: `the replicas of ${master} discovered` });
  await waitFor(() => deployment.lambda.invocations.filter((i) => i.function.includes('Probe') && i.outcome === 'ok').length >= 3, {
    timeoutMs: 45_000,
    what: 'a first invocation of every probe to end',
  });
}

/** What CloudWatch Logs extracts from the deployed functions' log lines (their embedded metric format): `name`'s data points, from the functions whose logical id includes `from` (all by default). */
export function metricPoints(deployment: SimulatedDeployment, name: string, from = ''): DataPoint[] {
  return deployment.lambda.specs
    .filter((spec) => spec.logicalId.includes(from))
    .flatMap((spec) => dataPoints(deployment.lambda.logLines(spec.name)))
    .filter((p) => p.name === name);
}
