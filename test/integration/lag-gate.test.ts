/**
 * The lag gate (`maxPromotionLagBytes`, beyond Sentinel) on real servers: a replica further behind
 * than the gate allows is not promoted, whatever its priority, and when none qualifies the
 * failover is refused or aborts naming the gap. A replica is made to lag by pointing it at a port
 * nothing answers on while the master takes writes: it stays a replica, reachable, behind.
 */
import { describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { FailoverRefused } from '../../lambdas/core/errors.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { requestOnce, runWorkflowOnce } from '../support/failover-run.ts';
import { orchestrate, types } from '../support/orchestrator.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { cutOff, infoOf, masterConfig, waitFollowing, writeKeys } from '../support/topology.ts';

// The workflow loaded once; after each test its orchestrators, then its servers, stopped.
const lifecycle = integrationLifecycle();
const ports = lifecycle.ports;

describe('maxPromotionLagBytes', () => {
  it('skips a replica that is behind for one that is caught up, though the lagging one has the better priority', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }, { replicaPriority: 100 }] });
    const [lagging, caughtUp] = topology.replicas as [RedisServer, RedisServer];
    await cutOff(lagging, ports);
    await writeKeys(topology.master, 2000, 1);
    const behind = (await infoOf(caughtUp)).replOffset - (await infoOf(lagging)).replOffset;
    expect(behind).toBeGreaterThan(10_000);

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology, { maxPromotionLagBytes: 1000 }), publisher: new MemoryPublisher() });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(caughtUp.address);
    const rejected = execution.output?.selection?.rejected ?? [];
    expect(rejected).toEqual([expect.objectContaining({ address: lagging.address, reason: 'lag-too-large' })]);
    expect(rejected[0]?.detail).toMatch(new RegExp(`^replication offset \\d+ is ${behind} bytes behind \\d+ \\(maxPromotionLagBytes 1000\\)$`));
    await waitFollowing(topology.master, caughtUp);
  });

  it('without the gate promotes by priority, the lagging replica included (Sentinel)', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }, { replicaPriority: 100 }] });
    const [lagging] = topology.replicas as [RedisServer, RedisServer];
    await cutOff(lagging, ports);
    await writeKeys(topology.master, 2000, 1);

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology), publisher: new MemoryPublisher() });

    expect(execution.output?.switched?.newMaster).toEqual(lagging.address);
  });

  it('refuses a request when every replica is behind the live master, naming each gap, before any epoch', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }] });
    const [lagging] = topology.replicas as [RedisServer];
    await cutOff(lagging, ports);
    await writeKeys(topology.master, 2000, 0);
    const events = new MemoryPublisher();

    const error = await requestOnce({ master: masterConfig(topology, { maxPromotionLagBytes: 1000 }), publisher: events }).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(FailoverRefused);
    expect((error as FailoverRefused).code).toBe('NOGOODSLAVE');
    expect((error as Error).message).toMatch(
      new RegExp(
        `^NOGOODSLAVE No suitable replica to promote: 127\\.0\\.0\\.1:${lagging.options.port} replication offset \\d+ is \\d+ bytes behind \\d+ \\(maxPromotionLagBytes 1000\\)$`,
      ),
    );
    expect(events.events.map((e) => e.type)).not.toContain('+new-epoch');
    expect((await infoOf(topology.master)).role).toBe('master');
  });

  it('aborts with -failover-abort-no-good-slave naming the gap when the dead master was ahead of every replica', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }] });
    const [lagging] = topology.replicas as [RedisServer];
    await cutOff(lagging, ports);
    await writeKeys(topology.master, 2000, 0);
    const masterOffset = (await infoOf(topology.master)).replOffset;
    await topology.master.kill();
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology, { maxPromotionLagBytes: 1000 }), publisher: events, masterOffset });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('NoGoodSlave');
    const abort = events.events.find((e) => e.type === '-failover-abort-no-good-slave');
    expect(abort?.detail.reason).toMatch(
      new RegExp(
        `^no replica qualifies: 127\\.0\\.0\\.1:${lagging.options.port} replication offset \\d+ is \\d+ bytes behind ${masterOffset} \\(maxPromotionLagBytes 1000\\)$`,
      ),
    );
  });

  it('through the voters: the leader hands the master’s last offset to the workflow, which aborts rather than promote the replica behind it', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }] });
    const [lagging] = topology.replicas as [RedisServer];
    // failover-timeout 10 s: the voters would re-point the cut-off replica only after that long (+fix-slave-config).
    const running = await orchestrate(topology, { quorum: 1, downAfterMs: 1000, failoverTimeoutMs: 10_000, maxPromotionLagBytes: 1000 }, { probes: 1 });
    await cutOff(lagging, ports);
    await writeKeys(topology.master, 2000, 0);
    const masterOffset = (await infoOf(topology.master)).replOffset;
    // Poll until the voter's own look at the master has seen the writes: that is what it will hand on.
    await waitFor(() => (running.orchestrator.voters[0]!.watches[0]!.view()?.master.info?.replOffset ?? 0) >= masterOffset, {
      timeoutMs: 10_000,
      what: 'the voter to read the master after the writes',
    });

    await topology.master.kill();

    await waitFor(() => types(running.events).includes('-failover-abort-no-good-slave'), { timeoutMs: 15_000, what: '-failover-abort-no-good-slave' });
    const abort = running.events.events.find((e) => e.type === '-failover-abort-no-good-slave');
    expect(abort?.detail.reason).toMatch(
      new RegExp(
        `^no replica qualifies: 127\\.0\\.0\\.1:${lagging.options.port} replication offset \\d+ is \\d+ bytes behind ${masterOffset} \\(maxPromotionLagBytes 1000\\)$`,
      ),
    );
    expect(types(running.events)).not.toContain('+promoted-slave');
    expect((await infoOf(lagging)).role).toBe('slave');
  });
});
