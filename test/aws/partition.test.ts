/**
 * The deployed stack (the simulation, sim/) across real networks: its services in one network
 * namespace, each probe function's containers in a "zone" namespace of its own, as the probes run
 * in three availability zones. The master cut off from one zone only: that probe judges it down,
 * the other two still reach it, so the quorum never forms and nothing fails over.
 */
import { describe, expect, it } from 'vitest';
import { Network } from '../../bench/network.ts';
import { runPartitionTrial } from '../../bench/partition.ts';

const availability = await Network.available();
if (!availability.ok) console.warn(`deployed-stack partition tests skipped: ${availability.reason}`);

describe.skipIf(!availability.ok)('the deployed stack, the master cut off from one probe’s zone', () => {
  it('fails nothing over: the cut-off probe says +sdown, the quorum never forms, nothing is lost', async () => {
    const result = await runPartitionTrial('redis-failover-aws', {
      downAfterMs: 1000,
      failoverTimeoutMs: 10_000,
      partitionMs: 5000,
      scenario: 'minority-voter',
    });

    // The cut was real: the probe in that zone lost the master.
    expect(result.masterVerdicts.filter((v) => v.startsWith('+sdown'))).toHaveLength(1);
    expect(result.masterVerdicts.filter((v) => v.startsWith('+odown'))).toEqual([]);
    expect(result.failovers).toBe(0);
    expect(result.falseVerdicts).toEqual([]);
    expect(result.lostWrites).toBe(0);
    expect(result.twoMastersMs).toBe(0);
  }, 180_000);
});
