/**
 * The benchmark harness cannot rot: one short trial of each system and a small probe-at-scale
 * run. No timing assertions: the numbers are the benchmark's business, not the suite's.
 */
import { describe, expect, it } from 'vitest';
import { formatTable, summarize } from '../../bench/report.ts';
import { runScale } from '../../bench/scale.ts';
import { runTrial } from '../../bench/trial.ts';
import { LocalWorkflow } from '../../local/workflow-runner.ts';
import { testPorts } from '../support/ports.ts';

const ports = testPorts();
const port = () => ports.take();

describe('benchmark harness', () => {
  it('runs one trial against each system and summarizes them', async () => {
    await LocalWorkflow.load();
    const options = { replicas: 1, downAfterMs: 500, failoverTimeoutMs: 5000, parallelSyncs: 1, port };
    const ours = await runTrial('redis-failover', options);
    const sentinel = await runTrial('sentinel', options);

    for (const result of [ours, sentinel]) {
      expect(result.ackedWrites).toBeGreaterThanOrEqual(500);
      expect(result.lostWrites).toBeGreaterThanOrEqual(0);
      expect(result.killToSwitchMs).toBeGreaterThan(0);
      expect(result.killToReplicasMs).toBeGreaterThanOrEqual(0);
      expect(result.killToFirstWriteMs).toBeGreaterThanOrEqual(result.killToSwitchMs);
    }
    const table = formatTable(summarize([ours, sentinel], 500));
    expect(table).toContain('kill → +switch-master (ms)');
    expect(table).toContain('ours / Sentinel');
  }, 90_000);

  it('measures one voter watching several masters', async () => {
    const result = await runScale(3, port, 1000, 1);
    expect(result.masters).toBe(3);
    expect(result.pingRoundMs.median).toBeGreaterThan(0);
    expect(result.ticksPerSecond).toBeGreaterThan(0);
  }, 60_000);
});
