import { describe, expect, it } from 'vitest';
import { stats, summarize } from '../../bench/report.ts';
import type { TrialResult } from '../../bench/trial.ts';

const trial = (system: TrialResult['system'], killToSwitchMs: number, lostWrites = 0): TrialResult => ({
  system,
  killToSwitchMs,
  killToReplicasMs: killToSwitchMs + 5,
  killToFirstWriteMs: killToSwitchMs + 2,
  ackedWrites: 1000,
  lostWrites,
});

describe('benchmark report', () => {
  it('takes the median, min and max', () => {
    expect(stats([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5 });
    expect(stats([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(stats([]).median).toBeNaN();
  });

  it('compares the failover overhead beyond down-after, ours over Sentinel’s', () => {
    const summary = summarize([trial('redis-failover', 1100), trial('sentinel', 3000), trial('redis-failover', 1060, 2), trial('sentinel', 2000)], 1000);
    expect(summary.trials).toBe(2);
    expect(summary.bySystem['redis-failover'].overheadMs).toEqual({ median: 80, min: 60, max: 100 });
    expect(summary.bySystem.sentinel.overheadMs).toEqual({ median: 1500, min: 1000, max: 2000 });
    expect(summary.overheadRatio).toBeCloseTo(80 / 1500);
    expect(summary.bySystem['redis-failover'].lostWrites).toEqual({ median: 1, min: 0, max: 2 });
  });
});
