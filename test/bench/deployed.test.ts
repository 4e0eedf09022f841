/**
 * `bench --runtime aws` cannot rot: the stack synthesized for a topology on this worker's ports,
 * then ONE warm trial against the simulated deployment, end to end. No timing assertions: the
 * numbers are the benchmark's business, not the suite's.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BenchStack } from '../../bench/deployed.ts';
import { formatChains, formatTable, summarize } from '../../bench/report.ts';
import { runTrial } from '../../bench/trial.ts';
import { isPortFree } from '../../local/ports.ts';
import { testPorts } from '../support/ports.ts';

const ports = testPorts();
const port = () => ports.take();

describe('benchmark harness, --runtime aws', () => {
  let stack: BenchStack | undefined;
  afterAll(() => stack?.remove());

  it('runs one warm trial against the simulated deployment and records its chain', async () => {
    const topology = [await port(), await port(), await port()];
    const settings = { downAfterMs: 1000, failoverTimeoutMs: 5000, parallelSyncs: 1 };
    stack = BenchStack.synthesize(topology, { ...settings, probeIntervalSeconds: 60 });
    const result = await runTrial(stack.system('warm'), { replicas: 2, ...settings, port });

    expect(result).toMatchObject({ system: 'redis-failover-aws-warm', chain: 'warm' });
    expect(result.ackedWrites).toBeGreaterThanOrEqual(500);
    expect(result.lostWrites).toBeGreaterThanOrEqual(0);
    expect(result.killToSwitchMs).toBeGreaterThan(0);
    expect(result.killToFirstWriteMs).toBeGreaterThanOrEqual(result.killToSwitchMs);
    expect(result.electedToSwitchMs).toBeGreaterThan(0);
    expect(result.electedToSwitchMs).toBeLessThan(result.killToSwitchMs);

    const steps = result.steps ?? [];
    expect(steps.length).toBeGreaterThan(5);
    for (const s of steps) {
      expect(s.step).toMatch(/^Failover[A-Za-z]+Function$/); // the logical id, CDK's hash taken off
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
      expect(s.coldStartMs === null).toBe(!s.cold);
    }
    expect(steps.map((s) => s.step)).toContain('FailoverReconfSlaveFunction');
    expect(steps.at(-1)!.step).toBe('FailoverSwitchMasterFunction');
    // Warm: the warm-up schedules had run every step function before the kill.
    expect(steps.filter((s) => s.cold)).toEqual([]);

    const summary = summarize([result], settings.downAfterMs);
    expect(formatTable(summary)).toContain('redis-failover (aws, warm)');
    expect(formatChains(summary)).toContain('warm');
    // The trial stopped what it started: the topology's ports are free again.
    for (const p of topology) expect(await isPortFree(p)).toBe(true);
  }, 240_000);
});
