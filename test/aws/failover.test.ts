/**
 * The deployed artifact, run as AWS runs it (sim/): the stack synthesized with its bundles, each
 * function in its own container under the Lambda runtime's Node.js, the probes started on their
 * schedule (every 3 s here instead of every minute), the template's state machine over the
 * function containers, DynamoDB, EventBridge and Step Functions as loopback stand-ins. Real
 * redis-server processes throughout.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { METRICS_NAMESPACE } from '../../lambdas/adapters/metrics.ts';
import { pingPeriodMs } from '../../lambdas/core/detection.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { evaluateAlarm, graphedMetrics } from '../../sim/cloudwatch.ts';
import { eventBridgePoints, stepFunctionsPoints } from '../../sim/native-metrics.ts';
import { isWarmUp } from '../../lambdas/runtime/aws/step.ts';
import type { CloudFormationTemplate } from '../../local/cloudformation.ts';
import { readAssembly } from '../../sim/assembly.ts';
import type { SimulatedDeployment } from '../../sim/deployment.ts';
import { eventsOf, metricPoints, nextEvent, PROBE_INTERVAL_MS, secretArnOf, simulatedSuite, watching, type SharedUse } from '../support/simulation.ts';

const SHORT = { name: 'short', quorum: 2, downAfterMs: 1500 };
// Longer than one probe invocation's interval, and every voter's vote needed.
const LONG = { name: 'long', quorum: 3, downAfterMs: 5000 };
// AUTH from a Secrets Manager secret: the probes read it through the config, the steps through REDIS_AUTH.
const SECURED = { name: 'secured', quorum: 2, downAfterMs: 1500, password: 'sim-s3cret-pass' };
const suite = simulatedSuite([SHORT, LONG, SECURED]);

/** Kills the master `leadMs` before the first probe's next start: the death falls at the end of an invocation. */
async function killNearInvocationEnd(deployment: SimulatedDeployment, kill: () => Promise<void>, leadMs = 100): Promise<number> {
  const schedule = deployment.assembly.schedules.find((s) => s.targetArn.includes('Probe1'))!;
  const at = deployment.scheduler.nextFiringAt(schedule.logicalId) - leadMs;
  await waitFor(() => Date.now() >= at, { timeoutMs: PROBE_INTERVAL_MS * 2, intervalMs: 1, what: 'the end of an invocation' });
  const killedAt = Date.now();
  await kill();
  return killedAt;
}

/** The failover of `master` ran once: one epoch, one leader, one execution, one +switch-master. */
async function switchedOnce(deployment: SimulatedDeployment, master: string): Promise<void> {
  await nextEvent(deployment, master, '+switch-master', { timeoutMs: 40_000 });
  await deployment.stepFunctions.settled();
  const executions = deployment.stepFunctions.executions().filter((e) => e.name.startsWith(`${master}-`));
  expect(executions.map((e) => [e.name, e.status])).toEqual([[`${master}-1`, 'SUCCEEDED']]);
  expect(eventsOf(deployment, master, '+elected-leader')).toHaveLength(1);
  const switches = eventsOf(deployment, master, '+switch-master');
  expect(switches.map((e) => [e.detail.master, e.detail.epoch])).toEqual([[master, 1]]);
}

/**
 * Every group's servers (the probes watch them all), and the deployment watching them: the one
 * the tests before used when this test can run on it (`use`), which saves seconds of start-up per
 * test. Each test kills the master of a group not yet failed over on it, and filters what it
 * checks by its group; those that read the whole deployment's history run first on a new one.
 */
function deployed(use: SharedUse): ReturnType<typeof suite.shared> {
  return suite.shared(use);
}

// First: its deployment of a tampered copy has the groups' ports to itself, none shared is running yet.
describe('what the simulation runs', () => {
  it('is the bundles and the state machine definition in cdk.out, under the Lambda runtime’s Node.js, not the sources', async () => {
    // A copy of the assembly with a marker in one bundle and a state added to the definition.
    const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-tampered-'));
    try {
      cpSync(suite.dir, dir, { recursive: true });
      const assembly = readAssembly(dir);
      const announce = assembly.functions.find((f) => f.logicalId.startsWith('FailoverAnnounceFunction'))!;
      const bundle = path.join(announce.codeDir, 'index.js');
      const marker = `bundle-from-cdk-out-${process.pid}`;
      writeFileSync(bundle, `console.log(${JSON.stringify(marker)}, process.version);\n${readFileSync(bundle, 'utf8')}`);
      const machineId = assembly.stateMachines[0]!.logicalId;
      const template = JSON.parse(readFileSync(assembly.templatePath, 'utf8')) as CloudFormationTemplate;
      const parts = (template.Resources[machineId]!.Properties!.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      const start = '{"StartAt":"FailoverTriggered","States":{';
      expect(String(parts[0]).startsWith(start)).toBe(true);
      parts[0] = `{"StartAt":"ProvenFromCdkOut","States":{"ProvenFromCdkOut":{"Type":"Pass","Next":"FailoverTriggered"},${String(parts[0]).slice(start.length)}`;
      writeFileSync(assembly.templatePath, JSON.stringify(template));

      const { master } = await suite.topology(SHORT.name);
      await suite.topology(LONG.name);
      await suite.topology(SECURED.name);
      const deployment = await suite.deploy({ assembly: dir });
      await watching(deployment, SHORT.name);
      await master.kill();
      await nextEvent(deployment, SHORT.name, '+switch-master', { timeoutMs: 40_000 });
      await deployment.stepFunctions.settled();

      const result = deployment.stateMachines[0]!.results.get(`${SHORT.name}-1`)!;
      expect(result.status).toBe('SUCCEEDED');
      expect(result.statesEntered[0]).toBe('ProvenFromCdkOut');
      const started = deployment.lambda.logLines(announce.name).find((line) => line.includes(marker));
      expect(started).toBeDefined();
      expect(started).toMatch(/ v24\./);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("times an execution out at the definition's TimeoutSeconds, as Step Functions does, and the timed-out alarm fires", async () => {
    // A copy whose first state waits past a 2 s execution timeout (the deployed one is the longest lease plus a minute).
    const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-timeout-'));
    try {
      cpSync(suite.dir, dir, { recursive: true });
      const assembly = readAssembly(dir);
      const machineId = assembly.stateMachines[0]!.logicalId;
      const template = JSON.parse(readFileSync(assembly.templatePath, 'utf8')) as CloudFormationTemplate;
      const parts = (template.Resources[machineId]!.Properties!.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      const start = '{"StartAt":"FailoverTriggered","States":{';
      parts[0] = `{"StartAt":"Stalled","States":{"Stalled":{"Type":"Wait","Seconds":30,"Next":"FailoverTriggered"},${String(parts[0]).slice(start.length)}`;
      const timeouts = parts.filter((part) => typeof part === 'string' && /,"TimeoutSeconds":\d+(?=,"Comment")/.test(part));
      expect(timeouts).toHaveLength(1);
      parts[parts.indexOf(timeouts[0])] = String(timeouts[0]).replace(/,"TimeoutSeconds":\d+(?=,"Comment")/, ',"TimeoutSeconds":2');
      writeFileSync(assembly.templatePath, JSON.stringify(template));

      const { master } = await suite.topology(SHORT.name);
      await suite.topology(LONG.name);
      await suite.topology(SECURED.name);
      const deployment = await suite.deploy({ assembly: dir });
      const alarm = deployment.assembly.alarm('FailoverMonitoringExecutionsTimedOutAlarm');
      await watching(deployment, SHORT.name);
      await master.kill();
      const execution = await waitFor(() => deployment.stepFunctions.executions().find((e) => e.name === `${SHORT.name}-1` && e.status !== 'RUNNING'), {
        timeoutMs: 30_000,
        what: 'the execution to end',
      });
      expect([execution.status, execution.error], execution.cause).toEqual(['TIMED_OUT', 'States.Timeout']);
      expect(execution.stopDate! - execution.startDate).toBeGreaterThanOrEqual(2000);
      expect(execution.stopDate! - execution.startDate).toBeLessThan(5000);
      expect(evaluateAlarm(alarm, stepFunctionsPoints(deployment.stepFunctions.executions()), Date.now())).toBe('ALARM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each([
  ['shorter', SHORT],
  ['longer', LONG],
])('kill -9 of the master, down-after %s than one probe interval, near the end of an invocation', (_, group) => {
  it('is SDOWN at down-after (+ one ping period) whatever the invocation boundaries, then fails over once', async () => {
    const { deployment, topologies } = await deployed({ failsOver: [group.name] });
    const killedAt = await killNearInvocationEnd(deployment, () => topologies[group.name]!.master.kill());

    const sdowns = await waitFor(
      () => {
        const seen = eventsOf(deployment, group.name, '+sdown').filter((e) => (e.detail.instance as { type?: string } | undefined)?.type === 'master');
        return seen.length >= group.quorum && seen;
      },
      { timeoutMs: group.downAfterMs + 10_000, what: `+sdown from ${group.quorum} voters` },
    );
    for (const sdown of sdowns) {
      // SDOWN is judged every ping period, from the last reply, which came before the kill: at most a ping period
      // late. It comes early by however old that reply was at the kill (a ping period or two, more on a loaded
      // machine, and a reply arriving while an invocation hands over is not in the snapshot); never seconds early,
      // as a clock taken over stale would make it.
      const period = pingPeriodMs(group.downAfterMs);
      expect(sdown.time - killedAt, String(sdown.detail.voter)).toBeLessThanOrEqual(group.downAfterMs + period + 50);
      expect(sdown.time - killedAt, String(sdown.detail.voter)).toBeGreaterThanOrEqual(group.downAfterMs - 500);
    }
    await switchedOnce(deployment, group.name);
    // Each voter said +sdown of the master once, across every handover of the outage.
    const voters = eventsOf(deployment, group.name, '+sdown')
      .filter((e) => (e.detail.instance as { type?: string } | undefined)?.type === 'master')
      .map((e) => e.detail.voter);
    expect(new Set(voters).size).toBe(voters.length);
    expect(deployment.strayCalls).toEqual([]);
  });
});

describe('a master group whose password is in Secrets Manager', () => {
  it('is watched and failed over with the secret: read once per container, never logged or published', async () => {
    const { deployment, topologies } = await deployed({ failsOver: [SECURED.name] });
    await topologies[SECURED.name]!.master.kill();
    await switchedOnce(deployment, SECURED.name);
    expect(deployment.secrets.reads(secretArnOf(SECURED.name))).toBeGreaterThan(0);
    for (const spec of deployment.lambda.specs) {
      expect(
        deployment.lambda.logLines(spec.name).filter((line) => line.includes(SECURED.password)),
        spec.logicalId,
      ).toEqual([]);
    }
    expect(JSON.stringify(deployment.events.events)).not.toContain(SECURED.password);
  });
});

describe('a table unreachable for a moment after +promoted-slave', () => {
  it('still ends SUCCEEDED with +switch-master and the table switched: the failed step runs again', async () => {
    // Every SwitchMaster attempt counts: none of an earlier failover may be among them.
    const { deployment, topologies } = await deployed({ failsOver: [SHORT.name], firstOnIt: true, faults: true });
    const { master, replicas } = topologies[SHORT.name]!;
    const switchMaster = deployment.fn('FailoverSwitchMasterFunction');
    const switchAttempts = () => deployment.lambda.invocations.filter((i) => i.function === switchMaster.name && !isWarmUp(i.event));
    // +failover-end comes right before SwitchMaster, the step that writes the table: refused from
    // then until SwitchMaster has failed on it once, however long that takes on a busy machine.
    const off = deployment.events.on((event) => {
      if (event.detailType === '+failover-end' && event.detail.master === SHORT.name) deployment.table.fail('refuse');
    });
    await master.kill();
    await waitFor(() => switchAttempts().some((a) => a.outcome === 'error'), { timeoutMs: 30_000, what: 'SwitchMaster failing on the refused table' });
    deployment.table.fail('none');
    off();
    await switchedOnce(deployment, SHORT.name);

    const attempts = switchAttempts();
    expect(attempts.length).toBeGreaterThan(1);
    expect(attempts[0]).toMatchObject({ outcome: 'error' });
    expect(attempts.at(-1)).toMatchObject({ outcome: 'ok' });
    const newMaster = eventsOf(deployment, SHORT.name, '+switch-master')[0]!.detail.newMaster as { port: number };
    expect(replicas.map((r) => r.options.port)).toContain(newMaster.port);
    const record = await storeOf(deployment).getMaster(SHORT.name);
    expect(record).toMatchObject({ port: newMaster.port, epoch: 1, failover: null });
  });
});

describe('a probe container killed mid-invocation, as Lambda does at the timeout', () => {
  it('loses no vote and makes no second leader: the next invocation carries on from the last checkpoint', async () => {
    const { deployment, topologies } = await deployed({ failsOver: [LONG.name], faults: true });
    const probe = deployment.fn('FailoverProbesProbe1');
    const voter = probe.environment.VOTER_ID!;
    await topologies[LONG.name]!.master.kill();
    await waitFor(() => eventsOf(deployment, LONG.name, '+sdown').some((e) => e.detail.voter === voter), { timeoutMs: 15_000, what: `${voter} holding SDOWN` });
    // Once the opinion is checkpointed, the container dies with nothing saved after it.
    await waitFor(
      async () => (await storeOf(deployment).getSession(voter))?.snapshot?.some((w) => w.master === LONG.name && w.voting.votedSdownSince !== null),
      {
        timeoutMs: 5000,
        what: `${voter}'s SDOWN checkpointed`,
      },
    );
    expect(deployment.lambda.crash(probe.name)).toBeGreaterThan(0);
    const generation = (await storeOf(deployment).getSession(voter))!.generation;

    // The next start takes the voter over from the checkpoint (the dead one never hands over).
    await waitFor(async () => (await storeOf(deployment).getSession(voter))!.generation > generation, {
      timeoutMs: PROBE_INTERVAL_MS * 3,
      what: `${voter} taken over`,
    });
    // Quorum 3: the crashed voter's vote still counts (it is valid for 5 s), then its next invocation's.
    await switchedOnce(deployment, LONG.name);
    expect(deployment.lambda.invocations.filter((i) => i.function === probe.name && i.outcome === 'crash').length).toBeGreaterThan(0);
    // It held SDOWN across the crash: said once, never taken back.
    const said = eventsOf(deployment, LONG.name).filter(
      (e) => e.detail.voter === voter && ['+sdown', '-sdown'].includes(e.detailType) && (e.detail.instance as { type?: string } | undefined)?.type === 'master',
    );
    expect(said.map((e) => e.detailType)).toEqual(['+sdown']);
  });
});

describe('the probe schedule', () => {
  it('starts the next invocation before the previous one stops, and a second start of a held voter does nothing', async () => {
    // Every invocation of the probe since the deployment counts. The second start is no fault: doing nothing is what is proven.
    const { deployment } = await deployed({ failsOver: [], firstOnIt: true });
    const probe = deployment.fn('FailoverProbesProbe1');
    const schedule = deployment.assembly.schedules.find((s) => s.targetArn === probe.arn)!;
    // The scheduler delivers at least once: the same start twice.
    deployment.scheduler.fireNow((s) => s === schedule);
    const since = Date.now();
    await waitFor(() => deployment.lambda.invocations.filter((i) => i.function === probe.name && i.receivedAt >= since).length >= 3, {
      timeoutMs: PROBE_INTERVAL_MS * 5,
      what: 'three more invocations of the probe',
    });
    const runs = deployment.lambda.invocations.filter((i) => i.function === probe.name);
    const sessions = runs.map((r) => (r.payload as { session: { kind: string } }).session.kind);
    expect(sessions).toContain('duplicate');
    const holders = runs.filter((r) => (r.payload as { session: { kind: string } }).session.kind !== 'duplicate').sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < holders.length; i++) {
      // No second of the interval unwatched: the next one was running before the previous one ended.
      expect(holders[i]!.startedAt, `invocation ${i}`).toBeLessThan(holders[i - 1]!.endedAt);
    }
    expect(holders.map((r) => r.outcome)).toEqual(holders.map(() => 'ok'));
  });
});

function storeOf(deployment: SimulatedDeployment): DynamoDbStore {
  return new DynamoDbStore({ client: deployment.table.client(), tableName: deployment.assembly.tables[0]!.name });
}

describe('the failover chain', () => {
  const isStep = (logicalId: string) => !logicalId.includes('Probes') && !logicalId.includes('RequestFailover');

  /** The step invocations of the failover of `master`: from +elected-leader to +switch-master. */
  async function failoverSteps(deployment: SimulatedDeployment, kill: () => Promise<void>) {
    await kill();
    const elected = await nextEvent(deployment, SHORT.name, '+elected-leader', { timeoutMs: 20_000 });
    await switchedOnce(deployment, SHORT.name);
    const steps = new Set(deployment.lambda.specs.filter((f) => isStep(f.logicalId)).map((f) => f.name));
    return deployment.lambda.invocations.filter((i) => steps.has(i.function) && i.receivedAt >= elected.receivedAt && !isWarmUp(i.event));
  }

  it('is warm by default: the warm-up schedules have started every step function before the first failover', async () => {
    const { deployment, topologies } = await deployed({ failsOver: [SHORT.name], firstOnIt: true });
    const warmUps = deployment.assembly.schedules.filter((s) => s.logicalId.includes('WarmUp'));
    expect(warmUps.length).toBeGreaterThan(0);
    await waitFor(
      () =>
        warmUps.every((s) =>
          deployment.lambda.invocations.some((i) => i.requestId === deployment.scheduler.firings.find((f) => f.schedule === s.logicalId)?.requestId),
        ),
      {
        timeoutMs: 20_000,
        what: 'every warm-up invocation to run',
      },
    );
    const steps = await failoverSteps(deployment, () => topologies[SHORT.name]!.master.kill());
    expect(steps.length).toBeGreaterThan(5);
    expect(steps.filter((i) => i.cold).map((i) => i.function)).toEqual([]);
    // What the functions wrote of it: one failover started and succeeded, its duration and phases, and no step waited for a cold start.
    const duration = await waitFor(
      () => {
        const found = metricPoints(deployment, 'FailoverDuration').filter((p) => p.dimensions.Master === SHORT.name);
        return found.length > 0 && found;
      },
      { timeoutMs: 10_000, what: 'the failover duration metric' },
    );
    expect(duration).toHaveLength(1);
    const forGroup = (name: string, extra: Record<string, string> = {}) =>
      metricPoints(deployment, name).filter((p) => JSON.stringify(p.dimensions) === JSON.stringify({ Master: SHORT.name, ...extra }));
    expect(forGroup('FailoversStarted').map((p) => p.value)).toEqual([1]);
    expect(forGroup('FailoversSucceeded').map((p) => p.value)).toEqual([1]);
    const phases = ['select-slave', 'promote', 'reconf-slaves'].map((phase) => forGroup('PhaseDuration', { Phase: phase }).map((p) => p.value));
    for (const values of phases) expect(values).toHaveLength(1);
    // The phases add up to the whole, which SwitchMaster timed from the same state.
    expect(phases.reduce((a, [v]) => a + v!, 0)).toBe(duration[0]!.value);
    // From the first voter's SDOWN to the lease won: the quorum's agreement and the election.
    expect(forGroup('DetectionTime')[0]!.value).toBeLessThan(SHORT.downAfterMs + PROBE_INTERVAL_MS);
    expect(evaluateAlarm(deployment.assembly.alarm('FailoverMonitoringFailoverStartedAlarm'), metricPoints(deployment, 'FailoversStarted'), Date.now())).toBe(
      'ALARM',
    );
    expect(metricPoints(deployment, 'StepColdStarts')).toEqual([]);
    // The dashboard's graphs of this group draw what the functions wrote: every one has data but the aborts'.
    const sameDimensions = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) =>
      JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
    const graphed = deployment.assembly
      .dashboardBodies()
      .flatMap(graphedMetrics)
      .filter((m) => m.namespace === METRICS_NAMESPACE && m.dimensions.Master === SHORT.name);
    expect(new Set(graphed.map((m) => m.name))).toEqual(
      new Set(['FailoversStarted', 'FailoversSucceeded', 'FailoversAborted', 'DetectionTime', 'FailoverDuration', 'PhaseDuration', 'Ticks', 'PingLatency']),
    );
    const empty = graphed.filter((m) => !metricPoints(deployment, m.name).some((p) => sameDimensions(p.dimensions, m.dimensions)));
    expect(empty.map((m) => m.name)).toEqual(['FailoversAborted']);
  });

  it('is cold after a quiet spell without warm-ups: every step starts a new environment (and a +switch-master its topic refuses alarms)', async () => {
    // Warm-ups paused for good, step containers recycled.
    const { deployment, topologies } = await deployed({ failsOver: [SHORT.name], faults: true });
    deployment.scheduler.pause((s) => s.logicalId.includes('WarmUp'));
    await waitFor(() => deployment.lambda.specs.filter((f) => isStep(f.logicalId)).every((f) => deployment.lambda.containers(f.name).every((c) => !c.busy)), {
      timeoutMs: 10_000,
      what: 'the warm-ups to end',
    });
    const recycledAt = Date.now();
    deployment.lambda.recycle((f) => isStep(f.logicalId));
    // And the +switch-master topic refusing EventBridge (a key policy gone wrong): the rule the alarm names counts it.
    const delivery = deployment.assembly.alarm('FailoverMonitoringSwitchMasterDeliveryFailedAlarm');
    const rule = String((delivery.Properties!.Dimensions as Array<{ Name: string; Value: unknown }>).find((d) => d.Name === 'RuleName')!.Value);
    expect(evaluateAlarm(delivery, eventBridgePoints(deployment.events), Date.now())).toBe('OK');
    deployment.events.failTargets(rule, true);
    const steps = await failoverSteps(deployment, () => topologies[SHORT.name]!.master.kill()).finally(() => deployment.events.failTargets(rule, false));
    expect(evaluateAlarm(delivery, eventBridgePoints(deployment.events), Date.now())).toBe('ALARM');
    const firstOfEach = [...new Map(steps.map((i) => [i.function, i])).keys()].map((fn) => steps.find((i) => i.function === fn)!);
    expect(firstOfEach.every((i) => i.cold && i.coldStartMs !== null)).toBe(true);
    // Each step function says so in its metrics: one cold step per function, under its own name.
    const cold = metricPoints(deployment, 'StepColdStarts').filter((p) => p.dimensions.Function !== undefined && p.timestamp >= recycledAt);
    expect(new Set(cold.map((p) => p.dimensions.Function))).toEqual(new Set(firstOfEach.map((i) => i.function)));
  });
});
