/**
 * The DNS endpoints of the deployed stack (sim/): the stack synthesized with `dnsEndpoints`, its
 * private hosted zone in the Route 53 stand-in, the names resolved through the VPC resolver's
 * stand-in (answers cached for their TTL), real redis-server processes of one group on one port
 * at three loopback addresses, as servers on three hosts are.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';
import { RedisServers, type RedisServer } from '../../local/redis-servers.ts';
import { evaluateAlarm, type DataPoint } from '../../sim/cloudwatch.ts';
import { SimulatedDeployment } from '../../sim/deployment.ts';
import { lambdaPoints, stepFunctionsPoints } from '../../sim/native-metrics.ts';
import { synthesizeStack } from '../../sim/synth.ts';
import { CLIENT_LABELS, dnsClientCommand, startDnsClientApp, type ClientLibrary } from '../../bench/clients.ts';
import type { AppProcess } from '../../bench/app-process.ts';
import { eventsOf, metricPoints, nextEvent, PROBE_INTERVAL_MS } from '../support/simulation.ts';
import { testPorts } from '../support/ports.ts';

const GROUP = 'dns';
const PRIMARY = 'dns.redis.internal';
const READER = 'dns-ro.redis.internal';
const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
const TTL_SECONDS = 1;
/** The VPC resolver's stand-in, where real clients' system resolver (resolv.conf: port 53 only) reaches it. */
const RESOLVER = '127.0.0.153';
const CLIENTS: readonly ClientLibrary[] = ['ioredis', 'node-redis-6', 'redis-py'];

let outdir: string | undefined;
let port = 0;
let servers = new RedisServers();
let deployment: SimulatedDeployment | undefined;
let apps: AppProcess[] = [];

beforeAll(() => {
  return (async () => {
    port = await testPorts().take();
    outdir = mkdtempSync(path.join(tmpdir(), 'redis-failover-cdk-out-'));
    synthesizeStack({
      config: { probes: 3, masters: [{ name: GROUP, host: HOSTS[0], port, quorum: 2, downAfterMs: 1500, failoverTimeoutMs: 10_000 }] },
      outdir,
      failover: {
        probeInterval: Duration.millis(PROBE_INTERVAL_MS),
        dnsEndpoints: { zoneName: 'redis.internal', ttl: Duration.seconds(TTL_SECONDS), checkInterval: Duration.seconds(2) },
      },
    });
  })();
}, 180_000);

afterEach(async () => {
  for (const app of apps) await app.stop();
  apps = [];
  await deployment?.stop();
  deployment = undefined;
  await servers.stopAll();
  servers = new RedisServers();
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

async function topology(): Promise<{ master: RedisServer; replicas: RedisServer[] }> {
  const master = await servers.start({ port, host: HOSTS[0] });
  const replicas = [
    await servers.start({ port, host: HOSTS[1], replicaOf: master.address }),
    await servers.start({ port, host: HOSTS[2], replicaOf: master.address }),
  ];
  await waitFor(async () => (await master.info()).connectedReplicas.filter((r) => r.state === 'online').length === 2, {
    timeoutMs: 10_000,
    what: 'both replicas online',
  });
  return { master, replicas };
}

/** Whether port 53 of RESOLVER can be bound here (root, nothing there already). */
async function resolverPortFree(): Promise<boolean> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(53, RESOLVER, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Each client library's application that knows the master only by the primary endpoint, resolving through the stand-in; null with the reason when this machine cannot run them. */
function dnsClients(): { commands: Array<[ClientLibrary, readonly string[]]> } | { reason: string } {
  const resolvConf = path.join(outdir!, 'resolv.conf');
  writeFileSync(resolvConf, `nameserver ${RESOLVER}\noptions timeout:1 attempts:2\n`);
  const commands: Array<[ClientLibrary, readonly string[]]> = [];
  for (const library of CLIENTS) {
    const how = dnsClientCommand(library, resolvConf);
    if (how.command === null) return { reason: `${library}: ${how.reason}` };
    commands.push([library, how.command]);
  }
  return { commands };
}

/** What a client in the VPC gets for `name` now (through the resolver's cache). */
async function resolve(resolver: Resolver, name: string): Promise<string[]> {
  try {
    return (await resolver.resolve4(name)).sort();
  } catch {
    return [];
  }
}

describe('the DNS endpoints of a master group', () => {
  it('name the master and its replicas, follow a kill -9 failover before +switch-master, and are repaired when changed by hand', async () => {
    const { master, replicas } = await topology();
    const clients = (await resolverPortFree()) ? dnsClients() : { reason: `port 53 of ${RESOLVER} cannot be bound (root, and nothing there already)` };
    if ('reason' in clients) console.log(`real clients through DNS skipped: ${clients.reason}`);
    deployment = await SimulatedDeployment.start({ assembly: outdir!, ...('commands' in clients && { dns: { host: RESOLVER, port: 53 } }) });
    const resolver = new Resolver({ timeout: 500, tries: 2 });
    resolver.setServers([deployment.dns.address]);

    // The voters create the records from the table (nothing else does) once they know the replicas.
    await waitFor(async () => (await resolve(resolver, PRIMARY)).join() === HOSTS[0], { timeoutMs: 60_000, what: `${PRIMARY} naming the master` });
    await waitFor(async () => (await resolve(resolver, READER)).join() === [HOSTS[1], HOSTS[2]].join(), {
      timeoutMs: 30_000,
      what: `${READER} naming both replicas`,
    });
    expect(deployment.route53.lookup(PRIMARY, 'A')).toMatchObject({ ttlSeconds: TTL_SECONDS, values: [HOSTS[0]] });
    const readerSettledAt = Date.now();

    // Someone points the name elsewhere in the console: a voter puts it back.
    const brokenAt = Date.now();
    deployment.route53.put({ name: PRIMARY, type: 'A', ttlSeconds: 300, values: ['10.9.9.9'] });
    const fix = await waitFor(
      () => eventsOf(deployment!, GROUP, '+fix-dns-record').find((e) => e.receivedAt >= brokenAt && String(e.detail.message).startsWith(`${PRIMARY} `)),
      {
        timeoutMs: 30_000,
        what: `+fix-dns-record of ${PRIMARY}`,
      },
    );
    expect(fix.detail.message).toBe(`${PRIMARY} A ${HOSTS[0]} @ ${GROUP} ${HOSTS[0]} ${port}`);
    // Nothing else was rewritten meanwhile (two voters may both put the primary back, which is harmless): a new
    // probe invocation that has not heard from the replicas yet leaves the reader record alone.
    const fixes = eventsOf(deployment, GROUP, '+fix-dns-record')
      .filter((e) => e.receivedAt >= readerSettledAt)
      .map((e) => e.detail.message);
    expect(new Set(fixes)).toEqual(new Set([fix.detail.message]));
    expect(deployment.route53.lookup(PRIMARY, 'A')).toMatchObject({ ttlSeconds: TTL_SECONDS, values: [HOSTS[0]] });

    // Applications that know only the name, each in a process of its own, resolving through the system resolver.
    const writers = 'commands' in clients ? clients.commands.map(([library, command]) => [library, startDnsClientApp(command, PRIMARY, port)] as const) : [];
    apps = writers.map(([, app]) => app);
    for (const [library, app] of writers) await waitFor(() => app.acks.length >= 50, { timeoutMs: 30_000, what: `${library} writing through ${PRIMARY}` });

    // kill -9: the record moves at the promotion, before +switch-master.
    let movedAt: number | null = null;
    const promotedHosts: string[] = [HOSTS[1], HOSTS[2]];
    deployment.route53.onChange(() => {
      const values = deployment?.route53.lookup(PRIMARY, 'A')?.values ?? [];
      if (movedAt === null && values.length === 1 && promotedHosts.includes(values[0]!)) movedAt = Date.now();
    });
    const killedAt = Date.now();
    await master.kill();
    // The last write each got from the old master, once no more arrive from it.
    const lastBefore = await Promise.all(writers.map(([, app]) => app.settled()));
    const switched = await nextEvent(deployment, GROUP, '+switch-master', { since: killedAt, timeoutMs: 45_000 });
    const promoted = (switched.detail.newMaster as { host: string }).host;
    expect(movedAt, 'the record moved').not.toBeNull();
    expect(movedAt!).toBeLessThanOrEqual(switched.receivedAt);
    expect(deployment.route53.lookup(PRIMARY, 'A')?.values).toEqual([promoted]);
    const updates = eventsOf(deployment, GROUP, '+dns-update');
    expect(updates.map((e) => e.detail.message)).toEqual([`${PRIMARY} A ${promoted} @ ${GROUP} ${HOSTS[0]} ${port}`]);
    expect(updates[0]!.receivedAt).toBeLessThanOrEqual(switched.receivedAt);
    // A client resolving through the VPC resolver gets the new master at most a TTL after the move.
    await waitFor(async () => (await resolve(resolver, PRIMARY)).join() === promoted, {
      timeoutMs: TTL_SECONDS * 1000 + 2000,
      intervalMs: 20,
      what: `${PRIMARY} resolving to ${promoted}`,
    });
    const resolvedAt = Date.now();
    // Each application writes again, on the new master (the old one is dead), by itself.
    const firsts: string[] = [];
    for (const [i, [library, app]] of writers.entries()) {
      const first = await waitFor(() => app.firstAfter(lastBefore[i]!), {
        timeoutMs: 20_000,
        intervalMs: 5,
        what: `${library} writing again through ${PRIMARY}`,
      });
      firsts.push(`${CLIENT_LABELS[library]} ${first.at - killedAt} ms`);
    }
    const onPromoted = replicas.find((server) => server.address.host === promoted)!;
    const written = onPromoted.client();
    try {
      for (const [library, app] of writers) {
        const n = app.lastAcked;
        expect(await written.get(`client:${n}`), library).toBe(String(n));
      }
    } finally {
      written.disconnect();
    }
    console.log(
      `kill -9 → record moved ${movedAt! - killedAt} ms, +switch-master ${switched.receivedAt - killedAt} ms, resolved ${resolvedAt - killedAt} ms (TTL ${TTL_SECONDS} s); first write through the name: ${firsts.join(', ') || 'no client run'}`,
    );

    // The reader record follows: the replica left, not the promoted one nor the dead old master.
    const left = replicas.map((r) => r.address.host).filter((h) => h !== promoted);
    await waitFor(async () => (await resolve(resolver, READER)).join() === left.join(), { timeoutMs: 30_000, what: `${READER} naming ${left.join()}` });
    await deployment.stepFunctions.settled();
    expect(deployment.stepFunctions.executions().map((e) => e.status)).toEqual(['SUCCEEDED']);
    // Every function logs JSON lines only, and each event it published is a line with its Sentinel message.
    // Node's own process warnings (the runtime's console format, e.g. the SDK's Node version notice) are not the code's lines.
    const lines = deployment.lambda.specs.flatMap((spec) =>
      deployment!.lambda
        .logLines(spec.name)
        .filter((line) => !/\t\(node:\d+\) \w*Warning/.test(line))
        .map((line) => [spec.logicalId, line] as const),
    );
    const parsed = lines.map(([fn, line]) => {
      try {
        return JSON.parse(line) as { level: string; event?: string; sentinel?: string };
      } catch {
        throw new Error(`${fn} wrote a line that is not JSON: ${line}`);
      }
    });
    const logged = new Set(parsed.filter((l) => l.level === 'INFO' && l.event).map((l) => l.sentinel));
    for (const event of deployment.events.events) expect(logged, `${event.detailType} logged`).toContain(`${event.detailType} ${String(event.detail.message)}`);
    // Every Route 53 call reached the stand-in, signed by a function's own role; nothing went elsewhere.
    expect(deployment.route53.calls.length).toBeGreaterThan(0);
    expect(deployment.strayCalls).toEqual([]);
  });
});

/** What CloudWatch Logs extracts from the probes' log lines (their embedded metric format). */
const probePoints = (deployment: SimulatedDeployment, name: string): DataPoint[] => metricPoints(deployment, name, 'Probe');

describe("the probes' metrics and the alarms on them", () => {
  it('tick as a heartbeat whose absence alarms, and report a tick that cannot reach the table at once, which alarms', async () => {
    await topology();
    deployment = await SimulatedDeployment.start({ assembly: outdir! });
    const voters = deployment.lambda.specs
      .filter((spec) => spec.logicalId.includes('Probe'))
      .map((spec) => spec.environment.VOTER_ID!)
      .sort();
    expect(voters).toHaveLength(3);
    // Each voter's ticks, under its own dimension (what the heartbeat alarm watches) and per master group.
    await waitFor(
      () => voters.every((voter) => probePoints(deployment!, 'Ticks').some((p) => p.dimensions.Voter === voter && p.dimensions.Master === undefined)),
      { timeoutMs: 60_000, what: 'Ticks from every voter' },
    );
    expect(probePoints(deployment, 'Ticks').some((p) => p.dimensions.Master === GROUP)).toBe(true);
    const heartbeat = deployment.assembly.alarm('FailoverMonitoringProbeHeartbeat1Alarm');
    const voter1 = (heartbeat.Properties!.Dimensions as Array<{ Name: string; Value: string }>)[0]!.Value;
    expect(voters).toContain(voter1);
    expect(evaluateAlarm(heartbeat, probePoints(deployment, 'Ticks'), Date.now())).toBe('OK');
    // Two minutes later with no tick since (a probe that stopped running): missing data breaches.
    expect(evaluateAlarm(heartbeat, probePoints(deployment, 'Ticks'), Date.now() + 3 * 60_000)).toBe('ALARM');

    const tickErrors = deployment.assembly.alarm('FailoverMonitoringProbeTickErrorsAlarm');
    expect(evaluateAlarm(tickErrors, probePoints(deployment, 'TickErrors'), Date.now())).toBe('OK');
    const refusedAt = Date.now();
    deployment.table.fail('refuse');
    const first = await waitFor(() => probePoints(deployment!, 'TickErrors').find((p) => p.timestamp >= refusedAt), {
      timeoutMs: 20_000,
      what: 'a TickErrors data point',
    });
    deployment.table.fail('none');
    console.log(`table refused → TickErrors written ${first.timestamp - refusedAt} ms later by ${first.dimensions.Voter}`);
    expect(evaluateAlarm(tickErrors, probePoints(deployment, 'TickErrors'), Date.now())).toBe('ALARM');
  });

  it('count a failover that gives up, by its reason (the aborted-failover and failed-execution alarms fire), votes, leadership attempts and PING latency; a probe start that fails or is throttled alarms', async () => {
    const { master, replicas } = await topology();
    deployment = await SimulatedDeployment.start({ assembly: outdir! });
    await waitFor(() => probePoints(deployment!, 'PingLatency').some((p) => p.dimensions.Master === GROUP), {
      timeoutMs: 60_000,
      what: 'PING latency from a voter',
    });
    const aborted = deployment.assembly.alarm('FailoverMonitoringFailoversAbortedAlarm');
    const started = deployment.assembly.alarm('FailoverMonitoringFailoverStartedAlarm');
    expect(evaluateAlarm(aborted, metricPoints(deployment, 'FailoversAborted'), Date.now()), 'aborted before').toBe('OK');
    // Every server gone: the leader wins the epoch, and SelectSlave finds no replica to promote.
    for (const server of [...replicas, master]) await server.kill();
    await nextEvent(deployment, GROUP, '-failover-abort-no-good-slave', { timeoutMs: 40_000 });
    await deployment.stepFunctions.settled();
    const points = await waitFor(
      () => {
        const found = metricPoints(deployment!, 'FailoversAborted');
        return found.length > 0 && found;
      },
      { timeoutMs: 10_000, what: 'a FailoversAborted data point' },
    );
    expect(points.filter((p) => p.dimensions.Reason === 'no-good-slave').map((p) => [p.dimensions.Master, p.value])).toEqual([[GROUP, 1]]);
    expect(evaluateAlarm(aborted, points, Date.now())).toBe('ALARM');
    expect(evaluateAlarm(started, metricPoints(deployment, 'FailoversStarted'), Date.now())).toBe('ALARM');
    expect(metricPoints(deployment, 'FailoversSucceeded')).toEqual([]);
    // What led there, per voter: the votes it wrote and the leadership it ran for.
    expect(probePoints(deployment, 'VotesWritten').filter((p) => p.dimensions.Master === GROUP).length).toBeGreaterThan(0);
    expect(
      probePoints(deployment, 'LeadershipAttempts')
        .filter((p) => p.dimensions.Master === GROUP)
        .reduce((a, p) => a + p.value, 0),
    ).toBeGreaterThanOrEqual(1);
    const latencies = probePoints(deployment, 'PingLatency').filter((p) => p.dimensions.Master === GROUP);
    expect(latencies.every((p) => p.value >= 0 && p.value < 1500)).toBe(true);

    // What the services publish of themselves, as the simulation saw it happen: the aborted execution failed
    // (a Fail state), no probe invocation failed.
    const machine = deployment.assembly.alarm('FailoverMonitoringExecutionsFailedAlarm');
    expect(evaluateAlarm(machine, stepFunctionsPoints(deployment.stepFunctions.executions()), Date.now())).toBe('ALARM');
    expect(
      evaluateAlarm(
        deployment.assembly.alarm('FailoverMonitoringExecutionsTimedOutAlarm'),
        stepFunctionsPoints(deployment.stepFunctions.executions()),
        Date.now(),
      ),
      'timed out',
    ).toBe('OK');
    expect(
      evaluateAlarm(deployment.assembly.alarm('FailoverMonitoringProbeErrorsAlarm'), lambdaPoints(deployment.lambda), Date.now()),
      JSON.stringify(deployment.lambda.invocations.filter((i) => i.outcome !== 'ok').map((i) => [i.function, i.errorMessage])),
    ).toBe('OK');
    // Two more starts of a probe while its invocation runs: reserved concurrency 2 (the handover) throttles one.
    const throttles = deployment.assembly.alarm('FailoverMonitoringProbeThrottlesAlarm');
    const probe = deployment.lambda.specs.find((spec) => spec.logicalId.includes('Probe1'))!;
    const startedAt = Date.now();
    // The table refusing as they start: the one that gets a container fails (it cannot take its voter over).
    deployment.table.fail('refuse');
    for (let i = 0; i < 3; i++) deployment.lambda.invokeAsync(probe.name, {});
    await waitFor(() => deployment!.lambda.throttles.some((t) => t.function === probe.name && t.at >= startedAt), {
      timeoutMs: 10_000,
      what: 'a throttled probe start',
    });
    await waitFor(() => deployment!.lambda.invocations.some((i) => i.function === probe.name && i.startedAt >= startedAt && i.outcome !== 'ok'), {
      timeoutMs: 20_000,
      what: 'a failed probe invocation',
    });
    deployment.table.fail('none');
    expect(evaluateAlarm(deployment.assembly.alarm('FailoverMonitoringProbeErrorsAlarm'), lambdaPoints(deployment.lambda), Date.now())).toBe('ALARM');
    // Only those: evaluated without them, the alarm does not fire (a loaded machine can overrun an invocation and throttle a start by itself).
    const natural = lambdaPoints({ invocations: deployment.lambda.invocations, throttles: deployment.lambda.throttles.filter((t) => t.at < startedAt) });
    if (natural.every((p) => p.name !== 'Throttles')) expect(evaluateAlarm(throttles, natural, Date.now())).toBe('OK');
    expect(evaluateAlarm(throttles, lambdaPoints(deployment.lambda), Date.now())).toBe('ALARM');
  });
});
