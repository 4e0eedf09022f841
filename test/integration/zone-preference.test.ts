/**
 * Zone preference (beyond Sentinel) on real servers: among replicas equal on replica-priority the
 * preferred zone wins before the replication offset, the old master's zone is avoided when asked,
 * and `+selected-slave` says which zone it chose and why. Zones by `host:port`, all on loopback.
 */
import { describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { runWorkflowOnce } from '../support/failover-run.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { cutOff, infoOf, masterConfig, writeKeys } from '../support/topology.ts';

// The workflow loaded once; after each test its orchestrators, then its servers, stopped.
const lifecycle = integrationLifecycle();
const ports = lifecycle.ports;

const zoneOf = (server: RedisServer, zone: string) => ({ [`127.0.0.1:${server.options.port}`]: zone });

describe('zone preference', () => {
  it('promotes the replica in the preferred zone over one further ahead, and says so in +selected-slave', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 100 }, { replicaPriority: 100 }] });
    const [behind, ahead] = topology.replicas as [RedisServer, RedisServer];
    await cutOff(behind, ports);
    await writeKeys(topology.master, 500, 1);
    expect((await infoOf(ahead)).replOffset).toBeGreaterThan((await infoOf(behind)).replOffset);
    const zones = { ...zoneOf(topology.master, 'zone-a'), ...zoneOf(behind, 'zone-b'), ...zoneOf(ahead, 'zone-c') };
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology, { zones, preferredZones: ['zone-b'] }), publisher: events });

    expect(execution.output?.switched?.newMaster).toEqual(behind.address);
    const selected = events.events.find((e) => e.type === '+selected-slave');
    expect(selected?.detail.reason).toBe('zone zone-b (preferred #1)');
  });

  it('avoids the old master’s zone when asked, then the offset decides', async () => {
    const topology = await lifecycle.topology({ replicas: [{ replicaPriority: 100 }, { replicaPriority: 100 }] });
    const [behind, ahead] = topology.replicas as [RedisServer, RedisServer];
    await cutOff(behind, ports);
    await writeKeys(topology.master, 500, 1);
    const zones = { ...zoneOf(topology.master, 'zone-a'), ...zoneOf(behind, 'zone-b'), ...zoneOf(ahead, 'zone-a') };
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology, { zones, avoidSameZoneAsOldMaster: true }), publisher: events });

    expect(execution.output?.switched?.newMaster).toEqual(behind.address);
    expect(events.events.find((e) => e.type === '+selected-slave')?.detail.reason).toBe("zone zone-b (not the old master's zone-a)");
  });
});
