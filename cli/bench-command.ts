/**
 * `redis-failover bench`: this project (its local runtime, or the deployed stack on the
 * simulation) against real redis-sentinel, side by side, on the same machine in the same run;
 * then one voter watching many masters.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { BenchStack } from '../bench/deployed.ts';
import type { ClientTrialResult } from '../bench/clients.ts';
import type { PartitionOptions, PartitionResult } from '../bench/partition.ts';
import { PARTITION_SCENARIOS, scenarioVariants, type PartitionScenario } from '../bench/partition-variants.ts';
import { formatChains, formatIdle, formatOverview, formatPartitions, formatTable, summarize, type IdleSummary, type Summary } from '../bench/report.ts';
import { runScale } from '../bench/scale.ts';
import { LOCAL, runTrial, SENTINEL, type Chain, type Fault, type TrialResult, type TrialSystem } from '../bench/trial.ts';
import { osFreePort } from '../local/ports.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { EXIT } from './errors.ts';
import { note } from './notes.ts';
import { UsageError } from '../lambdas/core/errors.ts';

export const BENCH_HELP = `Usage: redis-failover bench [options]

Fails over a fresh loopback topology (1 master + N replicas) again and again, alternating
this project's local runtime (3 voters, quorum 2) and real redis-sentinel (3 sentinels,
quorum 2) with the same settings. A writer SETs numbered keys during each trial and
follows each system's +switch-master to the new master. Then one voter watches many
masters at once (the probe at scale).

With --runtime aws, our side is the deployed stack instead: synthesized once (cdk synth,
every function bundled) and run by the simulation of the deployed stack (a fresh one per
trial): each Lambda function in its own process, the probes on their schedule, the
template's state machine, DynamoDB and EventBridge stand-ins, all on loopback, nothing
sent to AWS. Each round runs Sentinel and each chosen chain in a rotating order.

Options:
  --fault <kill|stop|partition|all>
                          What happens to the master: kill = kill -9 (the socket closes,
                          everyone sees it at once); stop = SIGSTOP (it hangs with its
                          sockets open, every request times out), woken with SIGCONT at
                          the end of the trial to see it demoted; partition = the master
                          and a writer cut off from the replicas and the failover system
                          (packets dropped, in network namespaces; root on Linux, with
                          nftables), then healed: writes lost, two masters, failovers,
                          false verdicts, for ours, ours with the rule meant for the
                          scenario, and Sentinel; all = kill, stop, then every
                          partition scenario the runtime can run and a link flapping
                          every 400 ms, each table, then one overview table of every
                          fault and system (--chain defaults to warm; no probe at
                          scale unless --scale is given) (default kill)
  --clients               Instead of the trials above: real Sentinel client libraries
                          (ioredis, node-redis 5 and 6, redis-py), each an application
                          in its own process writing through the master its system names,
                          through ours and through redis-sentinel; per library, from the
                          fault (--fault kill or stop) to the client's own first
                          acknowledged write after it. Local runtime only
  --partition <ms>        partition and all: how long each cut lasts (default 9000)
  --scenario <master-side|voters-only|minority-voter>
                          partition only: who is cut off. master-side = the master and
                          the writer from the replicas and the failover system (ours
                          also with fencing: true); voters-only = the master from the
                          failover system only, its replicas and writer still with it
                          (ours also with witnesses: true); minority-voter = the master
                          from one sentinel, or one probe's zone (needs --runtime aws:
                          the local runtime's voters share one process)
                          (default master-side)
  --flap <ms>             partition only: the link flaps, cut and healed every <ms>, for
                          the whole partition (default: cut throughout)
  --trials <n>            Trials per system (default 5)
  --replicas <n>          Replicas per topology (default 2)
  --down-after <ms>       down-after for both systems (default 1000)
  --failover-timeout <ms> failover-timeout for both systems (default 10000)
  --scale <m>             Masters for the probe-at-scale part (default 100; 0 skips it;
                          with --runtime aws it runs only when given: it measures the
                          local voter, not the simulation)
  --runtime <local|aws>   Our side: this project's local runtime, or the simulated
                          deployed stack (default local)
  --chain <warm|cold|both>
                          aws only: warm = the warm-up schedules have run at deploy time;
                          cold = no warm-ups, every step function's containers recycled
                          before the kill, as after a quiet week (default both)
  --probe-interval <s>    aws only: seconds between starts of each probe (default 60, as
                          deployed). Below 60 the stack cannot be deployed (EventBridge
                          Scheduler starts functions at most once a minute), which is
                          fine for a benchmark on the simulation
  --idle <minutes>        aws only: before the trials, one deployment watches a healthy
                          topology this long, then each probe's DynamoDB requests per
                          minute are reported by operation, averaged over the minutes
                          after the first (default 0: skipped; else at least 2)
  --json                  Print the results as JSON instead of tables
`;

type Runtime = 'local' | 'aws';
const RUNTIMES: readonly Runtime[] = ['local', 'aws'];
const CHAIN_CHOICES = { warm: ['warm'], cold: ['cold'], both: ['warm', 'cold'] } as const satisfies Record<string, readonly Chain[]>;
const AWS_ONLY = ['chain', 'idle', 'probe-interval'] as const;

export async function benchCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: negativeNumbersAttached(argv),
    strict: true,
    options: {
      fault: { type: 'string', default: 'kill' },
      partition: { type: 'string' },
      clients: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      flap: { type: 'string' },
      trials: { type: 'string', default: '5' },
      replicas: { type: 'string', default: '2' },
      'down-after': { type: 'string', default: '1000' },
      'failover-timeout': { type: 'string', default: '10000' },
      // No default: with --runtime aws the probe at scale runs only when asked for.
      scale: { type: 'string' },
      runtime: { type: 'string', default: 'local' },
      chain: { type: 'string' },
      'probe-interval': { type: 'string' },
      idle: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return EXIT.ok;
  }
  const runtime = RUNTIMES.find((r) => r === values.runtime);
  if (!runtime) throw new UsageError(`--runtime must be local or aws (got ${JSON.stringify(values.runtime)})`);
  if (runtime === 'local') {
    const given = AWS_ONLY.find((flag) => values[flag] !== undefined);
    if (given) throw new UsageError(`--${given} applies to --runtime aws only`);
  }
  const fault = (['kill', 'stop', 'partition', 'all'] as const).find((f) => f === values.fault);
  if (!fault) throw new UsageError(`--fault must be kill, stop, partition or all (got ${JSON.stringify(values.fault)})`);
  const partitionOnly = (['partition', 'scenario', 'flap'] as const).find((flag) => values[flag] !== undefined);
  if (partitionOnly && fault !== 'partition' && !(fault === 'all' && partitionOnly === 'partition'))
    throw new UsageError(`--${partitionOnly} applies to --fault partition only`);
  const trials = positive('--trials', values.trials);
  const replicas = positive('--replicas', values.replicas);
  const downAfterMs = positive('--down-after', values['down-after']);
  const failoverTimeoutMs = positive('--failover-timeout', values['failover-timeout']);
  const scale = values.scale === undefined ? (runtime === 'aws' || fault === 'all' ? 0 : 100) : positive('--scale', values.scale, true);
  const chainText = values.chain ?? (fault === 'all' ? 'warm' : 'both');
  if (!Object.hasOwn(CHAIN_CHOICES, chainText)) throw new UsageError(`--chain must be warm, cold or both (got ${JSON.stringify(chainText)})`);
  const chains: readonly Chain[] = CHAIN_CHOICES[chainText as keyof typeof CHAIN_CHOICES];
  const probeIntervalSeconds = positive('--probe-interval', values['probe-interval'] ?? '60');
  const idleMinutes = positive('--idle', values.idle ?? '0', true);
  // The first minute includes every function's start-up: averages need whole minutes after it.
  if (idleMinutes === 1)
    throw new UsageError('--idle must be 0 (skip) or at least 2 minutes: the first minute, with the start-up, is left out of the averages');
  const partitionMs = positive('--partition', values.partition ?? '9000');
  const flapMs = values.flap === undefined ? undefined : positive('--flap', values.flap);
  const scenario = PARTITION_SCENARIOS.find((s) => s === (values.scenario ?? 'master-side'));
  if (!scenario) throw new UsageError(`--scenario must be ${PARTITION_SCENARIOS.join(', ')} (got ${JSON.stringify(values.scenario)})`);
  if (fault === 'partition') {
    if (scenario === 'minority-voter' && runtime === 'local')
      throw new UsageError('--scenario minority-voter needs --runtime aws: the local runtime runs its three voters in one process');
    const unused = (['chain', 'idle', 'scale'] as const).find((flag) => values[flag] !== undefined);
    if (unused) throw new UsageError(`--${unused} does not apply to --fault partition`);
  }
  for (const binary of ['redis-server', 'redis-sentinel']) {
    if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0)
      throw new UsageError(`${binary} is not on the PATH (Debian/Ubuntu: sudo apt-get install ${binary})`);
  }
  const json = values.json ?? false;
  if (values.clients) {
    if (fault !== 'kill' && fault !== 'stop') throw new UsageError('--clients measures --fault kill or stop');
    if (runtime !== 'local') throw new UsageError('--clients runs the local runtime only: the simulated deployment answers no Sentinel protocol');
    const results = await benchClients({ fault, trials, replicas, downAfterMs, failoverTimeoutMs });
    if (json)
      process.stdout.write(
        JSON.stringify({ machine: machineText(), fault, settings: { trials, replicas, downAfterMs, failoverTimeoutMs }, results }, null, 2) + '\n',
      );
    else {
      const { formatClients } = await import('../bench/report.ts');
      process.stdout.write(
        `\nClients after ${fault === 'kill' ? 'kill -9' : 'SIGSTOP'} of the master, ${trials} trials per client and system, 1 master + ${replicas} replicas, down-after ${downAfterMs} ms\nMachine: ${machineText()}\n\n${formatClients(results)}\n`,
      );
    }
    return EXIT.ok;
  }
  const machine = machineText();
  const partitionTrial = { downAfterMs, failoverTimeoutMs, partitionMs, replicas, ...(runtime === 'aws' && { probeIntervalSeconds }) };

  if (fault === 'partition') {
    const bench = { runtime, trials, trial: { ...partitionTrial, scenario, ...(flapMs !== undefined && { flapMs }) } };
    const results = await benchPartitions(bench);
    if (json) process.stdout.write(JSON.stringify({ machine, fault, runtime, settings: { trials, ...bench.trial }, results }, null, 2) + '\n');
    else process.stdout.write(`\n${partitionCaption(bench)}\nMachine: ${machine}\n\n${formatPartitions(results)}\n`);
    return EXIT.ok;
  }
  const failoverSettings = { runtime, trials, replicas, downAfterMs, failoverTimeoutMs, chains, probeIntervalSeconds };
  if (fault === 'all') {
    await requireNamespaces();
    const failovers: FailoverBench[] = [];
    for (const one of ['kill', 'stop'] as const) failovers.push(await benchFailovers({ ...failoverSettings, fault: one, idleMinutes: 0 }));
    const partitions: Array<{ readonly bench: PartitionBench; readonly results: PartitionResult[] }> = [];
    for (const bench of allPartitionBenches(runtime, trials, partitionTrial)) {
      note(`partition: ${partitionTitle(bench.trial)}`);
      partitions.push({ bench, results: await benchPartitions(bench) });
    }
    if (json) {
      const partitionJson = partitions.map(({ bench, results }) => ({ scenario: bench.trial.scenario, settings: bench.trial, results }));
      process.stdout.write(
        JSON.stringify(
          {
            machine,
            fault,
            runtime,
            settings: { trials, replicas, downAfterMs, failoverTimeoutMs },
            failovers: failovers.map(failoverJson),
            partitions: partitionJson,
          },
          null,
          2,
        ) + '\n',
      );
      return EXIT.ok;
    }
    for (const run of failovers) process.stdout.write(formatFailovers(run, machine));
    for (const { bench, results } of partitions) process.stdout.write(`\n${partitionCaption(bench)}\n\n${formatPartitions(results)}\n`);
    const overview = formatOverview(
      failovers.map((run) => run.summary),
      partitions.map(({ bench, results }) => ({ title: partitionTitle(bench.trial), results })),
    );
    process.stdout.write(`\nEvery fault and system, medians over ${trials} trials (Machine: ${machine})\n\n${overview}\n`);
    return EXIT.ok;
  }
  const run = await benchFailovers({ ...failoverSettings, fault, idleMinutes });
  const scaleResult = scale > 0 ? await runScale(scale, run.port, downAfterMs) : null;
  if (json) {
    process.stdout.write(JSON.stringify({ machine, ...failoverJson(run), scale: scaleResult }, null, 2) + '\n');
    return EXIT.ok;
  }
  process.stdout.write(formatFailovers(run, machine));
  if (scaleResult) {
    const r = scaleResult;
    process.stdout.write(
      `\nProbe at scale: one voter, ${r.masters} masters, ping period ${r.pingPeriodMs} ms\n` +
        `  one PING round over all masters: median ${r.pingRoundMs.median.toFixed(1)} ms (min ${r.pingRoundMs.min.toFixed(1)}, max ${r.pingRoundMs.max.toFixed(1)})\n` +
        `  ticks per master per second: ${r.ticksPerSecond.toFixed(1)} (expected ${(1000 / r.pingPeriodMs).toFixed(1)})\n` +
        `  memory the voter added: heap ${r.voterHeapMb.toFixed(1)} MB, RSS ${r.voterRssMb.toFixed(1)} MB; whole process RSS ${r.processRssMb.toFixed(0)} MB\n`,
    );
  }
  return EXIT.ok;
}

function machineText(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** `--clients`: for each library this machine can run, rounds of ours and Sentinel in a rotating order. */
async function benchClients(settings: {
  fault: Fault;
  trials: number;
  replicas: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
}): Promise<ClientTrialResult[]> {
  const { CLIENT_LIBRARIES, clientCommand, runClientTrial } = await import('../bench/clients.ts');
  await LocalWorkflow.load();
  const results: ClientTrialResult[] = [];
  const systems = ['redis-failover', 'sentinel'] as const;
  for (const library of CLIENT_LIBRARIES) {
    const how = clientCommand(library);
    if (how.command === null) {
      note(`${library}: skipped, ${how.reason}`);
      continue;
    }
    for (let i = 0; i < settings.trials; i++) {
      for (const system of i % 2 === 0 ? systems : [...systems].reverse()) {
        const result = await runClientTrial(system, library, { ...settings, parallelSyncs: 1, port: osFreePort });
        results.push(result);
        note(
          `${library} trial ${i + 1}/${settings.trials} ${system.padEnd(14)} ${settings.fault}→switch ${result.faultToSwitchMs} ms, →first write ${result.faultToFirstWriteMs ?? 'none within 30 s'}${result.faultToFirstWriteMs === null ? '' : ' ms'}`,
        );
      }
    }
  }
  return results;
}

interface FailoverSettings {
  readonly runtime: Runtime;
  readonly fault: Fault;
  readonly trials: number;
  readonly replicas: number;
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  readonly chains: readonly Chain[];
  readonly probeIntervalSeconds: number;
  readonly idleMinutes: number;
}

interface FailoverBench {
  readonly settings: FailoverSettings;
  readonly results: readonly TrialResult[];
  readonly summary: Summary;
  readonly idle: IdleSummary | null;
  /** Free ports that the topology of the aws stack does not use (for the probe at scale after). */
  readonly port: () => Promise<number>;
}

/** `--fault kill|stop`: each round fails over ours and Sentinel, in a rotating order. */
async function benchFailovers(settings: FailoverSettings): Promise<FailoverBench> {
  const { runtime, fault, trials, replicas, downAfterMs, failoverTimeoutMs, chains, probeIntervalSeconds, idleMinutes } = settings;
  const results: TrialResult[] = [];
  let idle: IdleSummary | null = null;
  let port: () => Promise<number> = osFreePort;
  let systems: readonly TrialSystem[];
  let stack: BenchStack | undefined;
  if (runtime === 'local') {
    await LocalWorkflow.load();
    systems = [LOCAL, SENTINEL];
  } else {
    // The stack names its master's port, so the aws topology keeps the ports picked here; Sentinel's trials must not get them.
    const topologyPorts = await distinctFreePorts(replicas + 1);
    port = async () => {
      for (;;) {
        const free = await osFreePort();
        if (!topologyPorts.includes(free)) return free;
      }
    };
    const { BenchStack } = await import('../bench/deployed.ts');
    note('synthesizing the stack for the simulation (bundling the functions)…');
    stack = BenchStack.synthesize(topologyPorts, { downAfterMs, failoverTimeoutMs, parallelSyncs: 1, probeIntervalSeconds });
    systems = [...chains.map((chain) => stack!.system(chain)), SENTINEL];
  }
  try {
    if (stack && idleMinutes > 0) {
      const { runIdle } = await import('../bench/idle.ts');
      note(`one deployment watching a healthy topology for ${idleMinutes} minutes (the probes' DynamoDB requests)…`);
      idle = await runIdle(stack, replicas, idleMinutes, probeIntervalSeconds);
    }
    const options = { fault, replicas, downAfterMs, failoverTimeoutMs, parallelSyncs: 1, port };
    for (let i = 0; i < trials; i++) {
      // Rotate who goes first each round, so drift in the machine hits every system alike.
      const order = systems.map((_, k) => systems[(k + i) % systems.length]!);
      for (const system of order) {
        const result = await runTrial(system, options);
        results.push(result);
        note(trialLine(i, trials, result));
      }
    }
  } finally {
    stack?.remove();
  }
  return { settings, results, summary: summarize(results, downAfterMs), idle, port };
}

function failoverJson(run: FailoverBench): Record<string, unknown> {
  const { runtime, fault, trials, replicas, downAfterMs, failoverTimeoutMs, chains, probeIntervalSeconds, idleMinutes } = run.settings;
  const settings =
    runtime === 'aws'
      ? { fault, trials, replicas, downAfterMs, failoverTimeoutMs, chain: chains.join(','), probeIntervalSeconds, idleMinutes }
      : { fault, trials, replicas, downAfterMs, failoverTimeoutMs };
  return { runtime, settings, summary: run.summary, results: run.results, ...(runtime === 'aws' && { idle: run.idle }) };
}

function formatFailovers(run: FailoverBench, machine: string): string {
  const { runtime, fault, trials, replicas, downAfterMs, failoverTimeoutMs, chains, probeIntervalSeconds } = run.settings;
  const faultText = fault === 'kill' ? 'kill -9 of the master' : 'SIGSTOP of the master (woken at the end)';
  const lines = [
    `\nFailover after ${faultText}, ${trials} trials per system, 1 master + ${replicas} replicas, down-after ${downAfterMs} ms, failover-timeout ${failoverTimeoutMs} ms`,
  ];
  if (runtime === 'aws')
    lines.push(`Ours: the deployed stack on the simulation (sim/), probe interval ${probeIntervalSeconds} s, chain ${chains.join(' and ')}`);
  lines.push(`Machine: ${machine}`, '', formatTable(run.summary));
  const chainSection = formatChains(run.summary);
  if (chainSection) lines.push('', chainSection);
  if (run.idle) lines.push('', formatIdle(run.idle));
  return lines.join('\n') + '\n';
}

interface PartitionBench {
  readonly runtime: Runtime;
  readonly trials: number;
  readonly trial: Omit<PartitionOptions, 'managedFencing' | 'witnesses'> & { readonly scenario: PartitionScenario; readonly partitionMs: number };
}

/** `--fault all`: every scenario the runtime can run, and a flapping link. */
function allPartitionBenches(runtime: Runtime, trials: number, trial: Omit<PartitionBench['trial'], 'scenario'>): PartitionBench[] {
  const scenarios = PARTITION_SCENARIOS.filter((s) => s !== 'minority-voter' || runtime === 'aws');
  return [
    ...scenarios.map((scenario) => ({ runtime, trials, trial: { ...trial, scenario } })),
    { runtime, trials, trial: { ...trial, scenario: 'master-side' as const, flapMs: FLAP_MS } },
  ];
}

/** The flapping link of `--fault all`: cut and back every 400 ms (about half of down-after by default). */
const FLAP_MS = 400;

async function requireNamespaces(): Promise<void> {
  const { Network } = await import('../bench/network.ts');
  const available = await Network.available();
  if (!available.ok) throw new UsageError(`--fault partition needs network namespaces: ${available.reason}`);
}

/** Each round runs the scenario's variants (partition-variants.ts) in a rotating order. */
async function benchPartitions(settings: PartitionBench): Promise<PartitionResult[]> {
  await requireNamespaces();
  const { runPartitionTrial } = await import('../bench/partition.ts');
  const variants = scenarioVariants(settings.trial.scenario, settings.runtime);
  const results: PartitionResult[] = [];
  for (let i = 0; i < settings.trials; i++) {
    const order = variants.map((_, k) => variants[(k + i) % variants.length]!);
    for (const { system, ...rules } of order) {
      const result = await runPartitionTrial(system, { ...settings.trial, ...rules });
      results.push(result);
      note(
        `trial ${i + 1}/${settings.trials} ${result.variant.padEnd(36)} lost ${result.lostWrites}/${result.ackedWrites} over ${result.lostWindowMs} ms, ` +
          `two masters ${result.twoMastersMs} ms, failovers ${result.failovers}, false verdicts ${result.falseVerdicts.length}, ` +
          `demoted ${result.demotedAfterHealMs ?? (result.failovers === 0 ? '-' : 'not within 30 s')}${result.demotedAfterHealMs === null ? '' : ' ms'} after the heal`,
      );
    }
  }
  return results;
}

/** `master-side, 9000 ms` or `master-side, flapping every 400 ms`: a row of the overview. */
function partitionTitle(trial: PartitionBench['trial']): string {
  return `partition ${trial.scenario}${trial.flapMs === undefined ? '' : `, flapping every ${trial.flapMs} ms`}`;
}

function partitionCaption({ trial, trials }: PartitionBench): string {
  const who = {
    'master-side': 'the master and a writer cut off from the replicas and the failover system',
    'voters-only': 'the master cut off from the failover system only',
    'minority-voter': 'the master cut off from one voter (one sentinel, one probe’s zone)',
  }[trial.scenario];
  return (
    `Partition (${trial.scenario}): ${who} for ${trial.partitionMs} ms${trial.flapMs === undefined ? '' : `, the link flapping every ${trial.flapMs} ms`}, then healed; ` +
    `${trials} trials per column, down-after ${trial.downAfterMs} ms, failover-timeout ${trial.failoverTimeoutMs} ms`
  );
}

/** One progress line per trial; the aws ones add the deployment's own account of the chain. */
function trialLine(i: number, trials: number, result: TrialResult): string {
  const name = result.chain ? `aws ${result.chain}` : result.system;
  const steps = result.steps ?? [];
  const chain =
    result.electedToSwitchMs === undefined
      ? ''
      : `, elected→switch ${result.electedToSwitchMs} ms (${steps.filter((s) => s.cold).length}/${steps.length} steps cold)`;
  return (
    `trial ${i + 1}/${trials} ${name.padEnd(14)} ${result.fault}→switch ${result.killToSwitchMs} ms${chain}, ` +
    (result.killToAddressMs === null ? '' : `address ${result.killToAddressMs} ms, `) +
    `replicas ${result.killToReplicasMs} ms, first write ${result.killToFirstWriteMs} ms, lost ${result.lostWrites}/${result.ackedWrites}` +
    (result.fault === 'stop' ? `, woken→demoted ${result.wokenDemotedMs ?? 'not within 30 s'}${result.wokenDemotedMs === null ? '' : ' ms'}` : '')
  );
}

/**
 * `--idle -1` as `--idle=-1`: parseArgs takes a value starting with a dash for an option of its
 * own and fails in three lines; attached, the number reaches its check and its one-line error.
 */
function negativeNumbersAttached(argv: readonly string[]): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else {
      args.push(arg);
    }
  }
  return args;
}

/** `count` ports the OS calls free, all different (nothing listens on them between two calls). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await osFreePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

function positive(flag: string, text: string, zeroAllowed = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1))
    throw new UsageError(`${flag} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer (got ${JSON.stringify(text)})`);
  return value;
}
