/**
 * What this project adds to Sentinel, on the deployed artifact, in one deployment:
 * - the selection rules: the lag gate and zone preference travel from the config file through the
 *   construct into the probes' and SelectSlave's bundles. One kill: the replica behind is refused
 *   (`lag-too-large`), the one in the preferred zone promoted, and `+selected-slave` says why;
 * - the operator's controls: `redis-failover pause / resume / status / history --function` through
 *   Lambda's Invoke API to the request function's bundle, the probes' bundles holding a paused
 *   master's failover (+failover-held) until resume, and the workflow's approval task
 *   (waitForTaskToken) answered as a user's Lambda would answer it: SendTaskFailure vetoes,
 *   silence takes the configured default.
 */
import { describe, expect, it } from 'vitest';
import type { SelectionOutput } from '../../lambdas/core/workflow-state.ts';
import { testPorts } from '../support/ports.ts';
import { cutOff, writeKeys } from '../support/topology.ts';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { SimulatedDeployment } from '../../sim/deployment.ts';
import { LOCAL_REGION } from '../../local/cloudformation.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { runCommand, type CliRun } from '../support/cli-run.ts';
import { eventsOf, nextEvent, simulatedSuite } from '../support/simulation.ts';
const GATED = {
  name: 'gated',
  quorum: 2,
  downAfterMs: 1500,
  more: ([master, first, second]: readonly [number, number, number]) => ({
    maxPromotionLagBytes: 1000,
    zones: { [`127.0.0.1:${master}`]: 'zone-a', [`127.0.0.1:${first}`]: 'zone-b', [`127.0.0.1:${second}`]: 'zone-c' },
    preferredZones: ['zone-c', 'zone-b'],
  }),
};
const PAUSED = { name: 'paused', quorum: 2, downAfterMs: 1500 };
const VETOED = { name: 'vetoed', quorum: 2, downAfterMs: 1500, more: () => ({ approval: { timeoutSeconds: 60 } }) };
const UNANSWERED = { name: 'unanswered', quorum: 2, downAfterMs: 1500, more: () => ({ approval: { timeoutSeconds: 2, onTimeout: 'proceed' as const } }) };
const suite = simulatedSuite([GATED, PAUSED, VETOED, UNANSWERED]);

/** Credentials and region as an operator's shell has them; the SDK's endpoint variable points at the simulation. */
function awsEnv(deployment: SimulatedDeployment): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'AKIAOPERATOR',
    AWS_SECRET_ACCESS_KEY: 'operator-secret',
    AWS_ENDPOINT_URL_LAMBDA: deployment.lambdaApi.url,
  };
}

/** The command line against the deployed stack's request function, as an operator runs it. */
function cli(deployment: SimulatedDeployment, ...args: string[]): Promise<CliRun> {
  return runCommand([...args, '--function', deployment.fn('FailoverRequestFailover').name], awsEnv(deployment));
}

describe('a master group with the lag gate and zone preference, deployed', () => {
  it('refuses the replica behind, though in the preferred zone, and promotes the other, saying its zone', async () => {
    const { deployment, topologies } = await suite.shared({ failsOver: [GATED.name] });
    const { master, replicas } = topologies[GATED.name]!;
    const [caughtUp, behind] = replicas as [(typeof replicas)[number], (typeof replicas)[number]];
    // zone-c is preferred first: only the lag gate keeps the failover off it.
    await cutOff(behind, testPorts());
    await writeKeys(master, 2000, 1);

    await master.kill();

    const switched = await nextEvent(deployment, GATED.name, '+switch-master', { timeoutMs: 40_000 });
    expect(switched.detail.newMaster).toEqual(caughtUp.address);
    expect(eventsOf(deployment, GATED.name, '+selected-slave').map((e) => e.detail.reason)).toEqual(['zone zone-b (preferred #2)']);
    await deployment.stepFunctions.settled();
    const [execution] = deployment.stepFunctions.executions().filter((e) => e.name === `${GATED.name}-1`);
    const selection = (execution?.output as { selection?: SelectionOutput } | undefined)?.selection;
    expect(selection?.rejected).toEqual([expect.objectContaining({ address: behind.address, reason: 'lag-too-large' })]);
  });
});

describe('deployed: pause, status, resume, history through the request function', () => {
  it('holds the failover of a paused master the probes judge ODOWN, fails it over once resumed, and tells it in history', async () => {
    const { deployment, topologies } = await suite.shared({ failsOver: [PAUSED.name] });
    const { master } = topologies[PAUSED.name]!;
    const paused = await cli(deployment, 'pause', PAUSED.name, '--for', '10m', '--reason', 'kernel upgrade');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/^paused: paused until \S+Z \(kernel upgrade\)/);

    await master.kill();
    await waitFor(() => eventsOf(deployment, PAUSED.name, '+failover-held').length >= 2, { timeoutMs: 40_000, what: 'the probes to hold the failover' });
    expect(eventsOf(deployment, PAUSED.name, '+try-failover')).toEqual([]);
    const status = JSON.parse((await cli(deployment, 'status', PAUSED.name, '--json')).stdout);
    expect(status.masters[0]).toMatchObject({
      name: PAUSED.name,
      odown: true,
      failover: null,
      master: { reachable: false },
      pause: { reason: 'kernel upgrade' },
    });
    expect(status.masters[0].voters).toHaveLength(3);
    expect(status.masters[0].voters.every((v: { alive: boolean }) => v.alive)).toBe(true);

    const since = Date.now();
    expect((await cli(deployment, 'resume', PAUSED.name)).stdout).toBe('paused: resumed: automatic failover is on\n');
    await nextEvent(deployment, PAUSED.name, '+switch-master', { since, timeoutMs: 40_000 });
    expect(eventsOf(deployment, PAUSED.name, '+elected-leader')).toHaveLength(1);
    await deployment.stepFunctions.settled();

    const history = await cli(deployment, 'history', PAUSED.name);
    expect(history.code, history.stderr).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`^paused-1: epoch 1, odown, 127\\.0\\.0\\.1:${master.options.port} → 127\\.0\\.0\\.1:\\d+, switched, `));
    expect(history.stdout).toMatch(/\n {2}FailoverTriggered \d+ ms · WaitStart \d+ ms · SelectSlave \d+ ms · SendSlaveofNoOne \d+ ms · WaitPromotion/);
  });
});

describe('deployed: the pre-failover veto (waitForTaskToken)', () => {
  it('a SendTaskFailure vetoes: -failover-abort-vetoed with its cause, the lease released, no server touched', async () => {
    const { deployment, topologies } = await suite.shared({ failsOver: [VETOED.name] });
    const { master, replicas } = topologies[VETOED.name]!;
    await master.kill();
    const requested = await nextEvent(deployment, VETOED.name, '+failover-approval-requested', { timeoutMs: 40_000 });
    const approval = requested.detail.approval as { taskToken: string; candidate: { port: number } };
    expect(replicas.map((r) => r.options.port)).toContain(approval.candidate.port);

    // What a user's Lambda behind an EventBridge rule on +failover-approval-requested does.
    const sfn = new SFNClient({
      endpoint: deployment.stepFunctions.url,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'AKIAAPPROVER', secretAccessKey: 'x' },
    });
    await sfn.send(new SendTaskFailureCommand({ taskToken: approval.taskToken, error: 'Vetoed', cause: 'change freeze until Friday' }));
    sfn.destroy();

    const vetoed = await nextEvent(deployment, VETOED.name, '-failover-abort-vetoed', { timeoutMs: 20_000 });
    expect(vetoed.detail.reason).toBe('change freeze until Friday');
    await waitFor(() => deployment.stepFunctions.executions().find((e) => e.name === `${VETOED.name}-1` && e.status === 'FAILED'), {
      timeoutMs: 20_000,
      what: 'the execution to end',
    });
    expect(eventsOf(deployment, VETOED.name, '+failover-state-send-slaveof-noone')).toEqual([]);
    for (const replica of replicas) expect((await replica.info()).role).toBe('slave');
    const status = JSON.parse((await cli(deployment, 'status', VETOED.name, '--json')).stdout);
    expect(status.masters[0]).toMatchObject({ epoch: 1, failover: null });
  });

  it('unanswered within its timeout, onTimeout proceed: +failover-approval-timeout, then +switch-master', async () => {
    const { deployment, topologies } = await suite.shared({ failsOver: [UNANSWERED.name] });
    await topologies[UNANSWERED.name]!.master.kill();
    await nextEvent(deployment, UNANSWERED.name, '+failover-approval-requested', { timeoutMs: 40_000 });
    await nextEvent(deployment, UNANSWERED.name, '+failover-approval-timeout', { timeoutMs: 20_000 });
    await nextEvent(deployment, UNANSWERED.name, '+switch-master', { timeoutMs: 30_000 });
  });
});
