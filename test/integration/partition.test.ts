/**
 * Real partitions (network namespaces, packets dropped), then healed. The master and a writer cut
 * off from the replicas and the voters for 90 s: with the fencing the orchestrator manages, the
 * cut-off master stops taking writes within its lag window, however long the partition lasts,
 * and in all that time the voters fail over exactly once and judge no answering server down. The
 * master cut off from the voters only: with the witness rule, its replicas say it is alive and
 * nothing fails over.
 */
import { describe, expect, it } from 'vitest';
import { defaultMaxLagSeconds } from '../../lambdas/core/config.ts';
import { Network } from '../../bench/network.ts';
import { runPartitionTrial } from '../../bench/partition.ts';

const availability = await Network.available();
if (!availability.ok) console.warn(`partition tests skipped: ${availability.reason}`);

const DOWN_AFTER_MS = 1000;

// The short trials run beside the long one (`.concurrent`), one after the other, inside its 90 s
// cut instead of after it: each trial builds a network of its own (namespaces, subnet, temporary
// folder), so none sees another's servers, cuts or ports; two at a time at most, so their
// processes do not starve one another's voters.
const shortTrials = oneAtATime();
describe.skipIf(!availability.ok).concurrent('the master and a writer cut off from the replicas and the voters for 90 s, fencing on', () => {
  it('fails over once, judges no answering server down, loses only the writes of the lag window, and demotes the old master after the heal', async () => {
    const partitionMs = 90_000;
    const result = await runPartitionTrial('redis-failover', { downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 10_000, partitionMs, managedFencing: true });

    expect(result.failovers).toBe(1);
    expect(result.falseVerdicts).toEqual([]);
    // min-replicas-max-lag counts whole seconds since a replica's last ACK (sent every second).
    const fenceBoundMs = (defaultMaxLagSeconds(DOWN_AFTER_MS) + 1) * 1000 + 500;
    expect(result.lostWindowMs).toBeLessThanOrEqual(fenceBoundMs);
    expect(result.twoMastersMs).toBeLessThanOrEqual(fenceBoundMs);
    expect(result.lostWindowMs).toBeLessThan(result.partitionMs);
    expect(result.demotedAfterHealMs).not.toBeNull();
    expect(result.demotedAfterHealMs!).toBeLessThanOrEqual(5000);
  }, 180_000);
});

describe.skipIf(!availability.ok).concurrent('the master cut off from the voters only, its replicas and writer still with it, witnesses on', () => {
  it('fails nothing over and loses nothing: the replicas still replicating from it say it is alive', async () => {
    const result = await shortTrials(() =>
      runPartitionTrial('redis-failover', {
        downAfterMs: DOWN_AFTER_MS,
        failoverTimeoutMs: 10_000,
        partitionMs: 5000,
        witnesses: true,
        scenario: 'voters-only',
      }),
    );

    expect(result.failovers).toBe(0);
    expect(result.falseVerdicts).toEqual([]);
    expect(result.lostWrites).toBe(0);
    expect(result.twoMastersMs).toBe(0);
    expect(result.ackedWrites).toBeGreaterThan(500);
  }, 90_000);
});

describe.skipIf(!availability.ok).concurrent('a flapping link: the master and a writer cut off and back every 400 ms for 8 s', () => {
  it('fails over at most once, and judges down no server but the master', async () => {
    const result = await shortTrials(() =>
      runPartitionTrial('redis-failover', { downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 2000, partitionMs: 8000, flapMs: 400 }),
    );

    expect(result.failovers).toBeLessThanOrEqual(1);
    expect(result.falseVerdicts).toEqual([]);
    expect(result.twoMastersMs).toBeLessThanOrEqual(result.partitionMs);
    // Its turn, after the trial before it, counts too.
  }, 180_000);
});

/** Runs the tasks given to it one at a time, in the order given. */
function oneAtATime(): <T>(task: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = last.then(task);
    last = run.catch(() => undefined);
    return run;
  };
}
