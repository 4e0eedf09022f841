/** After and around a failover: returning masters, chained failures, leaders that die. */
import { describe, expect, it } from 'vitest';
import type { RedisServer } from '../../local/redis-servers.ts';
import { orchestrate, types, waitForEvent, waitForTicks } from '../support/orchestrator.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { countKeys, infoOf, startTopology, waitFollowing, writeKeys } from '../support/topology.ts';

const { ports, servers: freshServers } = integrationLifecycle();

async function masters(list: readonly RedisServer[]): Promise<number[]> {
  const roles = await Promise.all(list.filter((s) => s.running).map(async (s) => ((await infoOf(s)).role === 'master' ? s.options.port : 0)));
  return roles.filter(Boolean);
}

describe('after the failover', () => {
  it('converts the old master, restarted empty, into a replica of the new master and resyncs it', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    await writeKeys(topology.master, 200, 2);
    const running = await orchestrate(topology, {});

    await topology.master.kill();
    await waitForEvent(running.events, '+switch-master');
    await topology.master.restart(); // no persistence: it comes back empty, claiming to be a master

    const converted = await waitForEvent(running.events, '+convert-to-slave', (e) => e.detail.instance?.port === topology.master.options.port);
    expect(converted.message).toBe(
      `slave 127.0.0.1:${topology.master.options.port} 127.0.0.1 ${topology.master.options.port} @ mymaster 127.0.0.1 ${promoted.options.port}`,
    );
    await waitFollowing(topology.master, promoted);
    expect(await countKeys(topology.master, 200)).toBe(200);
    expect(await masters(topology.all)).toEqual([promoted.options.port]);
  });

  it('fails over again at epoch 2 when the new master dies too', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [first, second] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {});

    await topology.master.kill();
    await waitForEvent(running.events, '+switch-master');
    await waitFollowing(second, first);
    await first.kill();
    const again = await waitForEvent(running.events, '+switch-master', (e) => e.detail.epoch === 2);

    expect(again.message).toBe(`mymaster 127.0.0.1 ${first.options.port} 127.0.0.1 ${second.options.port}`);
    expect((await infoOf(second)).role).toBe('master');
    expect(await running.orchestrator.store.getMaster('mymaster')).toMatchObject({ port: second.options.port, epoch: 2, failover: null });
    expect(types(running.events).filter((t) => t === '+elected-leader')).toHaveLength(2);
  });
});

describe('leaders that die (SIMULATE-FAILURE)', () => {
  it('a leader crashing right after its election is replaced at a later epoch, which completes the failover', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const crashOnEpoch1 = { crashAfterElection: (epoch: number) => epoch === 1 };
    const running = await orchestrate(topology, {}, { faults: { 'voter-1': crashOnEpoch1, 'voter-2': crashOnEpoch1, 'voter-3': crashOnEpoch1 } });

    await topology.master.kill();
    const switched = await waitForEvent(running.events, '+switch-master', () => true, 30_000);

    expect(switched.detail.epoch).toBe(2);
    expect(running.orchestrator.voters.filter((v) => v.crashed !== null)).toHaveLength(1);
    expect([...running.orchestrator.executions.keys()]).toEqual(['mymaster-2']);
    expect((await infoOf(promoted)).role).toBe('master');
    await waitFollowing(other, promoted);
  });

  it('a failover that dies right after promoting converges at a later epoch on the same promoted replica', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {}, { workflowHooks: (input) => (input.epoch === 1 ? { crashBefore: 'ReconfSlave' } : undefined) });

    await topology.master.kill();
    const switched = await waitForEvent(running.events, '+switch-master', () => true, 30_000);

    expect(switched.detail.epoch).toBe(2);
    expect(switched.message).toBe(`mymaster 127.0.0.1 ${topology.master.options.port} 127.0.0.1 ${promoted.options.port}`);
    expect((await running.orchestrator.executions.get('mymaster-1'))?.status).toBe('ABORTED');
    await waitFollowing(other, promoted);
    expect(await masters(topology.all)).toEqual([promoted.options.port]);
  });
});

describe('the table unreachable while probing', () => {
  it('starts no failover on missing information, and fails over once the table is back', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    let tableDown = false;
    const running = await orchestrate(topology, {}, { tableDown: () => tableDown });

    tableDown = true;
    await topology.master.kill();
    await waitForEvent(running.events, '+sdown');
    await waitForTicks(running, 20); // 2 s of SDOWN without a table: four times down-after

    expect(types(running.events).filter((t) => t === '+odown' || t === '+elected-leader')).toEqual([]);
    expect(running.log.some((line) => line.includes('table unreachable (simulated)'))).toBe(true);

    tableDown = false;
    const switched = await waitForEvent(running.events, '+switch-master');
    expect(switched.detail.newMaster).toEqual(promoted.address);
    expect(types(running.events).filter((t) => t === '+elected-leader')).toHaveLength(1);
  });
});

describe('the orchestrator restarted after a failover, its config still naming the old master', () => {
  // `local` keeps its table in memory, and a config file is rarely edited in the middle of the night: the
  // restarted orchestrator finds the configured master following the promoted one. Taken for a master
  // "reporting role:slave" it would be SDOWN, then failed over; the current master is adopted instead.
  it('monitors the master the configured one follows: no SDOWN, no failover, and the next failover works', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const first = await orchestrate(topology, {});
    await first.orchestrator.failover('mymaster');
    await waitForEvent(first.events, '+switch-master');
    await waitFollowing(topology.master, promoted);
    await first.orchestrator.stop();

    const again = await orchestrate(topology, {}); // the same config: master = the old master's address
    const monitor = await waitForEvent(again.events, '+monitor');
    expect(monitor.message).toBe(`master mymaster 127.0.0.1 ${promoted.options.port} quorum 2`);
    expect(await again.orchestrator.masterAddress('mymaster')).toEqual(promoted.address);
    await waitForTicks(again, 40); // 4 s: well past down-after (500 ms) + 2 INFO periods
    expect(types(again.events).filter((t) => t === '+sdown' || t === '+odown' || t === '+try-failover')).toEqual([]);

    await promoted.kill();
    const switched = await waitForEvent(again.events, '+switch-master');
    expect(switched.message).toMatch(
      new RegExp(`^mymaster 127\\.0\\.0\\.1 ${promoted.options.port} 127\\.0\\.0\\.1 (${topology.master.options.port}|${other.options.port})$`),
    );
  });
});
