/**
 * The deployed stack on this machine, for the test files that prove what only exists on AWS:
 * the stack synthesized once per file (bundles and all) for a config naming this worker's
 * loopback ports, then for each test a fresh deployment of that assembly over fresh redis-server
 * processes, everything stopped when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';
import type { DeployConfig } from '../../lib/config-file.ts';
import type { RedisFailoverStackProps } from '../../lib/failover-stack.ts';
import { RedisServers, type RedisServer } from '../../local/redis-servers.ts';
import { readAssembly, type Assembly } from '../../sim/assembly.ts';
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
  topology(group: string): Promise<{ master: RedisServer; replicas: readonly RedisServer[] }>;
}

/**
 * Synthesizes the stack for `masters` (each a group of three servers on this worker's ports) in
 * beforeAll. `failover` adds construct props; the probe interval is PROBE_INTERVAL_MS.
 */
export function simulatedSuite(
  masters: ReadonlyArray<{ name: string; quorum: number; downAfterMs: number; failoverTimeoutMs?: number; password?: string }>,
  failover: RedisFailoverStackProps['failover'] = {},
): SimulatedSuite {
  const ports = testPorts();
  const groups: Record<string, MasterGroup> = {};
  let outdir: string | undefined;
  let deployments: SimulatedDeployment[] = [];
  let servers = new RedisServers();

  beforeAll(async () => {
    for (const master of masters) {
      groups[master.name] = { name: master.name, ports: [await ports.take(), await ports.take(), await ports.take()], ...(master.password !== undefined && { password: master.password }) };
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

  afterAll(() => {
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  return {
    groups,
    get dir() {
      return outdir!;
    },
    assembly: () => readAssembly(outdir!),
    async deploy(options = {}) {
      // Each password in its secret, as the operator stores it before deploying.
      const secrets = Object.fromEntries(Object.values(groups).flatMap((g) => (g.password === undefined ? [] : [[secretArnOf(g.name), g.password]])));
      const deployment = await SimulatedDeployment.start({ assembly: outdir!, secrets, ...options });
      deployments.push(deployment);
      return deployment;
    },
    async topology(name) {
      const { ports: [masterPort, ...replicaPorts], password } = groups[name]!;
      const master = await servers.start({ port: masterPort, password });
      const replicas = [];
      for (const port of replicaPorts) replicas.push(await servers.start({ port, replicaOf: master.address, password }));
      await waitFor(async () => (await master.info()).connectedReplicas.filter((r) => r.state === 'online').length === replicas.length, {
        timeoutMs: 10_000,
        what: `the replicas of ${name} online`,
      });
      return { master, replicas };
    },
  };
}

/** Events of one master group, optionally of one type. */
export function eventsOf(deployment: SimulatedDeployment, master: string, type?: string): SimEvent[] {
  return deployment.events.events.filter((e) => e.detail.master === master && (type === undefined || e.detailType === type));
}

/** Waits for the first event of `type` about `master` (published after `since`). */
export function nextEvent(deployment: SimulatedDeployment, master: string, type: string, options: { since?: number; timeoutMs?: number } = {}): Promise<SimEvent> {
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
