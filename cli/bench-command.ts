/**
 * `redis-failover bench`: this project against real redis-sentinel, side by side, on the
 * same machine in the same run; then one voter watching many masters.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { formatTable, summarize } from '../bench/report.ts';
import { runScale } from '../bench/scale.ts';
import { runTrial, type System, type TrialResult } from '../bench/trial.ts';
import { osFreePort } from '../local/ports.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { EXIT, UsageError } from './errors.ts';
import { note } from './notes.ts';

export const BENCH_HELP = `Usage: redis-failover bench [options]

Fails over a fresh loopback topology (1 master + N replicas) again and again, alternating
this project's local runtime (3 voters, quorum 2) and real redis-sentinel (3 sentinels,
quorum 2) with the same settings. A writer SETs numbered keys during each trial and
follows each system's +switch-master to the new master. Then one voter watches many
masters at once (the probe at scale).

Options:
  --trials <n>            Trials per system (default 5)
  --replicas <n>          Replicas per topology (default 2)
  --down-after <ms>       down-after for both systems (default 1000)
  --failover-timeout <ms> failover-timeout for both systems (default 10000)
  --scale <m>             Masters for the probe-at-scale part (default 100; 0 skips it)
  --json                  Print the results as JSON instead of tables
`;

export async function benchCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      trials: { type: 'string', default: '5' },
      replicas: { type: 'string', default: '2' },
      'down-after': { type: 'string', default: '1000' },
      'failover-timeout': { type: 'string', default: '10000' },
      scale: { type: 'string', default: '100' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(BENCH_HELP);
    return EXIT.ok;
  }
  const trials = positive('--trials', values.trials);
  const replicas = positive('--replicas', values.replicas);
  const downAfterMs = positive('--down-after', values['down-after']);
  const failoverTimeoutMs = positive('--failover-timeout', values['failover-timeout']);
  const scale = positive('--scale', values.scale, true);
  for (const binary of ['redis-server', 'redis-sentinel']) {
    if (spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) throw new UsageError(`${binary} is not on the PATH (Debian/Ubuntu: sudo apt-get install ${binary})`);
  }

  await LocalWorkflow.load();
  const results: TrialResult[] = [];
  const options = { replicas, downAfterMs, failoverTimeoutMs, parallelSyncs: 1, port: osFreePort };
  for (let i = 0; i < trials; i++) {
    // Alternate, and swap who goes first each round, so drift in the machine hits both alike.
    const order: System[] = i % 2 === 0 ? ['redis-failover', 'sentinel'] : ['sentinel', 'redis-failover'];
    for (const system of order) {
      const result = await runTrial(system, options);
      results.push(result);
      note(
        `trial ${i + 1}/${trials} ${system.padEnd(14)} kill→switch ${result.killToSwitchMs} ms, replicas ${result.killToReplicasMs} ms, ` +
          `first write ${result.killToFirstWriteMs} ms, lost ${result.lostWrites}/${result.ackedWrites}`,
      );
    }
  }
  const summary = summarize(results, downAfterMs);
  const scaleResult = scale > 0 ? await runScale(scale, osFreePort, downAfterMs) : null;
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;

  if (values.json) {
    process.stdout.write(JSON.stringify({ machine, settings: { trials, replicas, downAfterMs, failoverTimeoutMs }, summary, results, scale: scaleResult }, null, 2) + '\n');
    return EXIT.ok;
  }
  process.stdout.write(`\nFailover, ${trials} trials per system, 1 master + ${replicas} replicas, down-after ${downAfterMs} ms, failover-timeout ${failoverTimeoutMs} ms\n`);
  process.stdout.write(`Machine: ${machine}\n\n${formatTable(summary)}\n`);
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

function positive(flag: string, text: string, zeroAllowed = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (zeroAllowed ? 0 : 1)) throw new UsageError(`${flag} must be a ${zeroAllowed ? 'non-negative' : 'positive'} integer (got ${JSON.stringify(text)})`);
  return value;
}
