/** Aborts and faults during a failover, on real redis-server processes. */
import { describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import type { FailoverState, ReconfItem } from '../../lambdas/core/workflow-state.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { runWorkflowOnce } from '../support/failover-run.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { infoOf, masterConfig, waitFollowing } from '../support/topology.ts';

// The workflow loaded once; after each test its orchestrators, then its servers, stopped.
const lifecycle = integrationLifecycle();

function byPort(list: readonly RedisServer[], port: number | undefined): RedisServer {
  const found = list.find((s) => s.options.port === port);
  if (!found) throw new Error(`no server on port ${port}`);
  return found;
}

describe('aborts', () => {
  it('aborts with -failover-abort-no-good-slave when no replica qualifies, touching nothing', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 0 }, { replicaPriority: 0 }] });
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology), publisher: events });

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('NoGoodSlave');
    expect(execution.lastState?.selection?.rejected.map((r) => r.reason)).toEqual(['priority-zero', 'priority-zero']);
    expect(events.events.map((e) => e.type)).toEqual([
      '+failover-triggered',
      '+failover-state-wait-start',
      '+failover-state-select-slave',
      '-failover-abort-no-good-slave',
    ]);
    expect(events.events.at(-1)?.message).toBe(`master mymaster 127.0.0.1 ${topology.master.options.port}`);
    expect((await infoOf(topology.master)).role).toBe('master');
    for (const replica of topology.replicas) await waitFollowing(replica, topology.master);
  });

  it('aborts with -failover-abort-slave-timeout when the chosen replica dies before promotion, re-pointing nothing', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }, { replicaPriority: 100 }] });
    const [chosen, other] = topology.replicas as [RedisServer, RedisServer];
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({
      master: masterConfig(topology, { failoverTimeoutMs: 1500 }),
      publisher: events,
      hooks: {
        before: async (state, input) => {
          if (state === 'SendSlaveofNoOne') await byPort(topology.replicas, (input as FailoverState).selection?.promoted?.port).kill();
        },
      },
    });

    expect(chosen.running).toBe(false);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('SlaveTimeout');
    const types = events.events.map((e) => e.type);
    expect(types.at(-1)).toBe('-failover-abort-slave-timeout');
    expect(types).not.toContain('+promoted-slave');
    expect(types).not.toContain('+slave-reconf-sent');
    expect((await infoOf(topology.master)).role).toBe('master');
    await waitFollowing(other, topology.master);
  });
});

describe('faults during reconfiguration', () => {
  it('still ends with +switch-master when a replica dies during reconfiguration', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }, { replicaPriority: 100 }, { replicaPriority: 100 }] });
    const [promoted, doomed, survivor] = topology.replicas as [RedisServer, RedisServer, RedisServer];
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({
      master: masterConfig(topology),
      publisher: events,
      hooks: {
        before: async (state, input) => {
          if (state === 'ReconfSlave' && (input as ReconfItem).target.port === doomed.options.port) await doomed.kill();
        },
      },
    });

    expect(execution.status).toBe('SUCCEEDED');
    expect(events.events.at(-1)?.type).toBe('+switch-master');
    const doomedItem = execution.output?.reconf?.replicas.find((item) => item.target.port === doomed.options.port);
    expect(doomedItem?.phase).toBe('unreachable');
    await waitFollowing(survivor, promoted);
    await waitFollowing(topology.master, promoted);
  });

  it('ends with +failover-end-for-timeout and a best-effort REPLICAOF when failover-timeout runs out', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 10 }, { replicaPriority: 100 }] });
    const [promoted, hung] = topology.replicas as [RedisServer, RedisServer];
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({
      // down-after longer than failover-timeout: the hung replica is still waited for when time runs out.
      master: masterConfig(topology, { downAfterMs: 30_000, failoverTimeoutMs: 1500 }),
      publisher: events,
      hooks: {
        before: async (state, input) => {
          if (state === 'ReconfSlave' && (input as ReconfItem).target.port === hung.options.port && (input as ReconfItem).phase === 'pending') {
            hung.pause();
          }
          if (state === 'FailoverEnd') hung.resume();
        },
      },
    });

    expect(execution.status).toBe('SUCCEEDED');
    const types = events.events.map((e) => e.type);
    expect(types.slice(-4)).toEqual(['+failover-end-for-timeout', '+slave-reconf-sent-be', '+failover-end', '+switch-master']);
    expect(execution.output?.end?.bestEffort).toEqual([hung.address]);
    await waitFollowing(hung, promoted);
  });
});
