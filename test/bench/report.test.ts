import { describe, expect, it } from 'vitest';
import type { PartitionResult } from '../../bench/partition.ts';
import { scenarioVariants, variantName } from '../../bench/partition-variants.ts';
import { formatChains, formatClients, formatIdle, formatOverview, formatPartitions, formatTable, idleRates, stats, summarize } from '../../bench/report.ts';
import type { StepInvocation, TrialResult } from '../../bench/trial.ts';

const trial = (system: TrialResult['system'], killToSwitchMs: number, lostWrites = 0): TrialResult => ({
  system,
  fault: 'kill',
  killToSwitchMs,
  killToAddressMs: killToSwitchMs - 10,
  wokenDemotedMs: null,
  killToReplicasMs: killToSwitchMs + 5,
  killToFirstWriteMs: killToSwitchMs + 2,
  ackedWrites: 1000,
  lostWrites,
});

const step = (name: string, coldStartMs: number | null, durationMs = 10): StepInvocation => ({
  step: name,
  atMs: 0,
  cold: coldStartMs !== null,
  coldStartMs,
  durationMs,
  outcome: 'ok',
});

const aws = (chain: 'warm' | 'cold', killToSwitchMs: number, electedToSwitchMs: number, steps: StepInvocation[]): TrialResult => ({
  ...trial(chain === 'warm' ? 'redis-failover-aws-warm' : 'redis-failover-aws-cold', killToSwitchMs),
  // The simulated deployment answers no GET-MASTER-ADDR-BY-NAME.
  killToAddressMs: null,
  chain,
  electedToSwitchMs,
  steps,
});

const local = [trial('redis-failover', 1100), trial('sentinel', 3000), trial('redis-failover', 1060, 2), trial('sentinel', 2000)];

/** Two rounds of sentinel, aws warm and aws cold. */
const deployed = [
  aws('warm', 1200, 150, [step('FailoverAnnounceFunction', null), step('FailoverSwitchMasterFunction', null)]),
  aws('cold', 3000, 2000, [
    step('FailoverAnnounceFunction', 400),
    step('FailoverSelectSlaveFunction', 600),
    step('FailoverAnnounceFunction', null),
    step('FailoverSwitchMasterFunction', 500),
  ]),
  trial('sentinel', 2000),
  aws('cold', 3400, 2400, [step('FailoverAnnounceFunction', 300), step('FailoverSelectSlaveFunction', 800), step('FailoverSwitchMasterFunction', 700)]),
  trial('sentinel', 2400),
  aws('warm', 1100, 130, [step('FailoverAnnounceFunction', null), step('FailoverSwitchMasterFunction', 900)]),
];

describe('benchmark report', () => {
  it('takes the median, min and max', () => {
    expect(stats([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(stats([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(stats([]).median).toBeNaN();
  });

  it('compares the failover overhead beyond down-after, ours over Sentinel’s', () => {
    const summary = summarize(local, 1000);
    expect(summary.trials).toBe(2);
    expect(summary.bySystem['redis-failover']!.overheadMs).toEqual({ median: 80, min: 60, max: 100 });
    expect(summary.bySystem.sentinel!.overheadMs).toEqual({ median: 1500, min: 1000, max: 2000 });
    expect(summary.overheadRatio).toBeCloseTo(80 / 1500);
    expect(summary.bySystem['redis-failover']!.lostWrites).toEqual({ median: 1, min: 0, max: 2 });
  });

  it('prints the local runtime’s table exactly as before, and no aws section', () => {
    const summary = summarize(local, 1000);
    // The text of the report before --runtime aws existed, for the same trials.
    expect(formatTable(summary)).toBe(
      [
        '| median (min–max)                                         | redis-failover   | redis-sentinel 7 |',
        '|----------------------------------------------------------|------------------|------------------|',
        '| kill → +switch-master (ms)                               | 1080 (1060–1100) | 2500 (2000–3000) |',
        '| failover overhead beyond down-after (ms)                 | 80 (60–100)      | 1500 (1000–2000) |',
        '| kill → GET-MASTER-ADDR-BY-NAME names the new master (ms) | 1070 (1050–1090) | 2490 (1990–2990) |',
        '| kill → replicas following, link up (ms)                  | 1085 (1065–1105) | 2505 (2005–3005) |',
        '| kill → first write on the new master (ms)                | 1082 (1062–1102) | 2502 (2002–3002) |',
        '| acknowledged writes lost                                 | 1 (0–2)          | 0 (0–0)          |',
        '| acknowledged writes (trial)                              | 1000 (1000–1000) | 1000 (1000–1000) |',
        '',
        "Failover overhead beyond down-after (1000 ms), ours / Sentinel's median: 0.05",
        '…until GET-MASTER-ADDR-BY-NAME names the new master: 0.05 (redis-failover)',
      ].join('\n'),
    );
    expect(formatChains(summary)).toBe('');
  });

  it('names the fault in the table, and shows the woken old master only where one was woken', () => {
    const stopped = (system: TrialResult['system'], killToSwitchMs: number, wokenDemotedMs: number | null): TrialResult => ({
      ...trial(system, killToSwitchMs),
      fault: 'stop',
      wokenDemotedMs,
    });
    const summary = summarize(
      [stopped('redis-failover', 1200, 150), stopped('sentinel', 2800, 900), stopped('redis-failover', 1300, 250), stopped('sentinel', 3200, null)],
      1000,
    );
    expect(summary.fault).toBe('stop');
    expect(summary.addressOverheadRatios['redis-failover']).toBeCloseTo(240 / 1990);
    expect(summary.bySystem.sentinel!.wokenDemotedMs).toEqual({ median: 900, min: 900, max: 900 });
    const table = formatTable(summary);
    expect(table).toContain('| SIGSTOP → +switch-master (ms) ');
    expect(table).toMatch(/\| old master woken \(SIGCONT\) → replicating from the new one \(ms\) \| 200 \(150–250\) +\| 900 \(900–900\) +\|/);
    expect(formatTable(summarize(local, 1000))).not.toContain('woken');
  });

  it('keeps today’s JSON fields for the local runtime and adds the systems and every ratio', () => {
    const json = JSON.parse(JSON.stringify(summarize(local, 1000))) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['fault', 'downAfterMs', 'trials', 'bySystem', 'overheadRatio', 'systems', 'overheadRatios', 'addressOverheadRatios']);
    expect(Object.keys(json.bySystem as object)).toEqual(['redis-failover', 'sentinel']);
    expect(json.systems).toEqual(['redis-failover', 'sentinel']);
    expect(json.overheadRatios).toEqual({ 'redis-failover': json.overheadRatio });
  });

  it('gives every aws chain its column, its ratio, its elected → switch, and the cold starts of the cold trials', () => {
    const summary = summarize(deployed, 1000);
    expect(summary.trials).toBe(2);
    expect(summary.systems).toEqual(['redis-failover-aws-warm', 'redis-failover-aws-cold', 'sentinel']);
    // Sentinel's overhead: median of 1000 and 1400; warm 150, cold 2200.
    expect(summary.overheadRatios['redis-failover-aws-warm']).toBeCloseTo(150 / 1200);
    expect(summary.overheadRatios['redis-failover-aws-cold']).toBeCloseTo(2200 / 1200);
    expect(summary.overheadRatio).toBe(summary.overheadRatios['redis-failover-aws-warm']);
    expect(summary.electedToSwitchMs).toEqual({ warm: { median: 140, min: 130, max: 150 }, cold: { median: 2200, min: 2000, max: 2400 } });
    // Cold trials only (the cold SwitchMaster of a warm trial is not counted), cold invocations only, in chain order.
    expect(summary.coldStartMs).toEqual({
      FailoverAnnounceFunction: { median: 350, min: 300, max: 400, count: 2 },
      FailoverSelectSlaveFunction: { median: 700, min: 600, max: 800, count: 2 },
      FailoverSwitchMasterFunction: { median: 600, min: 500, max: 700, count: 2 },
    });
    expect(Object.keys(summary.coldStartMs!)).toEqual(['FailoverAnnounceFunction', 'FailoverSelectSlaveFunction', 'FailoverSwitchMasterFunction']);

    const table = formatTable(summary).split('\n');
    expect(table[0]).toMatch(/^\| median \(min–max\) +\| redis-failover \(aws, warm\) \| redis-failover \(aws, cold\) \| redis-sentinel 7 +\|$/);
    expect(table[2]).toContain('| 1150 (1100–1200)');
    // Not measured on the deployed stack: a dash, not a range of dashes.
    expect(table.find((line) => line.includes('GET-MASTER-ADDR-BY-NAME'))).toMatch(/\| – +\| – +\| 2190 \(1990–2390\) +\|$/);
    expect(table.at(-1)).toBe("Failover overhead beyond down-after (1000 ms), ours / Sentinel's median: 0.13 (aws, warm), 1.83 (aws, cold)");

    const chains = formatChains(summary);
    expect(chains).toContain('+elected-leader → +switch-master');
    expect(chains).toContain('  warm  140 (130–150)');
    expect(chains).toContain('  cold  2200 (2000–2400)');
    expect(chains).toContain('cold − warm, medians: 2060 ms');
    expect(chains).toMatch(/\| FailoverSelectSlaveFunction +\| 700 \(600–800\) +\| 2 +\|/);
  });

  it('puts the aws figures in the JSON: elected → switch by chain, cold starts by step', () => {
    const json = JSON.parse(JSON.stringify(summarize(deployed, 1000))) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'fault',
      'downAfterMs',
      'trials',
      'bySystem',
      'overheadRatio',
      'systems',
      'overheadRatios',
      'addressOverheadRatios',
      'electedToSwitchMs',
      'coldStartMs',
    ]);
    expect(Object.keys(json.bySystem as object)).toEqual(['redis-failover-aws-warm', 'redis-failover-aws-cold', 'sentinel']);
    expect(Object.keys(json.overheadRatios as object)).toEqual(['redis-failover-aws-warm', 'redis-failover-aws-cold']);
    expect(Object.keys(json.electedToSwitchMs as object)).toEqual(['warm', 'cold']);
  });

  it('with the cold chain alone, the first of ours is the cold one and there is no warm figure', () => {
    const summary = summarize(
      deployed.filter((r) => r.system !== 'redis-failover-aws-warm'),
      1000,
    );
    expect(summary.systems).toEqual(['redis-failover-aws-cold', 'sentinel']);
    expect(summary.overheadRatio).toBeCloseTo(2200 / 1200);
    expect(summary.electedToSwitchMs).toEqual({ cold: { median: 2200, min: 2000, max: 2400 } });
    expect(formatChains(summary)).not.toContain('warm');
    expect(formatTable(summary).split('\n').at(-1)).toMatch(/median: 1\.83 \(aws, cold\)$/);
  });

  it('averages each probe’s idle requests per minute over the whole minutes after the first', () => {
    const t0 = 1_000_000;
    const at = (minute: number, second: number) => t0 + minute * 60_000 + second * 1000;
    const requests = [
      // The first minute (start-up) is left out, and so is anything after the last whole minute.
      ...Array.from({ length: 50 }, (_, i) => ({ operation: 'PutItem', at: at(0, i) })),
      ...Array.from({ length: 60 }, (_, i) => ({ operation: 'GetItem', at: at(1, i) })),
      ...Array.from({ length: 30 }, (_, i) => ({ operation: 'GetItem', at: at(2, i * 2) })),
      { operation: 'UpdateItem', at: at(2, 59.999) },
      { operation: 'Query', at: at(3, 0) },
    ];
    const probe = idleRates('FailoverProbesProbe1', requests, t0, 3);
    expect(probe.perMinute).toEqual({ GetItem: 45, UpdateItem: 0.5 });
    expect(probe.totalPerMinute).toBe(45.5);
    expect(probe.eachMinute).toEqual([{ GetItem: 60 }, { GetItem: 30, UpdateItem: 1 }]);
    expect(() => idleRates('p', requests, t0, 1)).toThrow(/at least 2/);

    const text = formatIdle({
      minutes: 3,
      probeIntervalSeconds: 60,
      probes: [probe, idleRates('FailoverProbesProbe2', [{ operation: 'Query', at: at(1, 1) }], t0, 3)],
    });
    expect(text).toContain('average of minutes 2–3');
    expect(text).toMatch(/\| probe +\| GetItem \| Query \| UpdateItem \| total \|/);
    expect(text).toMatch(/\| FailoverProbesProbe1 \| 45 +\| 0 +\| 0\.5 +\| 45\.5 +\|/);
    expect(text).toMatch(/\| FailoverProbesProbe2 \| 0 +\| 0\.5 +\| 0 +\| 0\.5 +\|/);
  });
});

const partition = (variant: string, lostWrites: number, failovers: number, falseVerdicts: string[] = []): PartitionResult => ({
  system: variant.startsWith('redis-sentinel') ? 'sentinel' : 'redis-failover-aws',
  variant,
  scenario: 'minority-voter',
  partitionMs: 5000,
  ackedWrites: 40_000,
  lostWrites,
  lostWindowMs: lostWrites === 0 ? 0 : 900,
  twoMastersMs: failovers === 0 ? 0 : 4000,
  failovers,
  falseVerdicts,
  masterVerdicts: [],
  demotedAfterHealMs: failovers === 0 ? null : 800,
});

describe('partition report', () => {
  it('names each column after the system and the rules it ran with, and sets out the columns each scenario compares', () => {
    expect(scenarioVariants('master-side', 'local').map(variantName)).toEqual(['redis-failover', 'redis-failover, fencing on', 'redis-sentinel 7']);
    expect(scenarioVariants('voters-only', 'aws').map(variantName)).toEqual(['redis-failover (aws)', 'redis-failover (aws), witnesses on', 'redis-sentinel 7']);
    expect(scenarioVariants('minority-voter', 'aws').map(variantName)).toEqual(['redis-failover (aws)', 'redis-sentinel 7']);
  });

  it('has a column per variant in the order first run, and counts verdicts about servers never cut off', () => {
    const table = formatPartitions([
      partition('redis-failover (aws)', 0, 0),
      partition('redis-sentinel 7', 10, 1, ['+sdown slave …']),
      partition('redis-failover (aws)', 0, 0),
    ]).split('\n');
    expect(table[0]).toMatch(/^\| median \(min–max\) +\| redis-failover \(aws\) +\| redis-sentinel 7 +\|$/);
    expect(table.find((line) => line.startsWith('| failovers '))).toMatch(/\| 0 \(0–0\) +\| 1 \(1–1\) +\|$/);
    expect(table.find((line) => line.startsWith('| +sdown/+odown of a server never cut off'))).toMatch(/\| 0 \(0–0\) +\| 1 \(1–1\) +\|$/);
    // No failover, no demotion to time.
    expect(table.find((line) => line.startsWith('| heal → old master demoted'))).toMatch(/\| – +\| 800 \(800–800\) +\|$/);
  });

  it('puts every fault and system in one overview: failovers summed over the trials, medians of the rest', () => {
    const overview = formatOverview(
      [summarize(local, 1000)],
      [
        {
          title: 'partition minority-voter',
          results: [partition('redis-failover (aws)', 0, 0), partition('redis-sentinel 7', 10, 1), partition('redis-sentinel 7', 30, 1)],
        },
      ],
    ).split('\n');
    expect(overview).toHaveLength(2 + 4);
    expect(overview[2]).toMatch(/^\| kill -9 +\| redis-failover +\| 1080 +\| 1 +\| – +\| – +\| 2 +\| – +\| – +\|$/);
    expect(overview[5]).toMatch(/^\| partition minority-voter \| redis-sentinel 7 +\| – +\| 20 +\| 900 +\| 4000 +\| 2 +\| 0 +\| 800 +\|$/);
  });
});

describe('client report', () => {
  it('gives each library a row, ours beside Sentinel, and says how many trials never wrote again', () => {
    const result = (system: 'redis-failover' | 'sentinel', library: 'ioredis' | 'node-redis-5', faultToFirstWriteMs: number | null) => ({
      system,
      library,
      fault: 'stop' as const,
      faultToSwitchMs: 1000,
      faultToFirstWriteMs,
      failuresReported: 3,
    });
    const table = formatClients([
      result('redis-failover', 'ioredis', 1200),
      result('sentinel', 'ioredis', 2300),
      result('redis-failover', 'node-redis-5', 2200),
      result('sentinel', 'node-redis-5', null),
      result('sentinel', 'node-redis-5', 4100),
    ]).split('\n');
    expect(table[2]).toMatch(/^\| ioredis 5 +\| 1200 \(1200–1200\) +\| 2300 \(2300–2300\) +\|$/);
    expect(table[3]).toMatch(/^\| node-redis 5 +\| 2200 \(2200–2200\) +\| 4100 \(4100–4100\), 1 never within 30 s \|$/);
  });
});
