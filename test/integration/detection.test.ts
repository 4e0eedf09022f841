/**
 * Automatic failover: voters on real redis-server processes, the table in dynalite,
 * the synthesized workflow run locally.
 */
import { describe, expect, it } from 'vitest';
import { sameAddress } from '../../lambdas/core/address.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { orchestrate, types, waitForEvent, waitForTicks } from '../support/orchestrator.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { seedSequence } from '../support/sequence.ts';
import { countKeys, infoOf, startTopology, waitFollowing, writeKeys } from '../support/topology.ts';

const { ports, servers: freshServers } = integrationLifecycle();

describe('kill -9 of the master', () => {
  it.each([
    [3, 2],
    [5, 3],
  ])('with %i voters and quorum %i: one leader, the best replica promoted, the others follow', async (probes, quorum) => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 100 }, { replicaPriority: 10 }, { replicaPriority: 50 }] });
    const [r100, r10, r50] = topology.replicas as [RedisServer, RedisServer, RedisServer];
    await writeKeys(topology.master, 300, 3);
    const running = await orchestrate(topology, { quorum }, { probes });

    await topology.master.kill();
    const switched = await waitForEvent(running.events, '+switch-master');

    expect(switched.message).toBe(`mymaster 127.0.0.1 ${topology.master.options.port} 127.0.0.1 ${r10.options.port}`);
    const seen = types(running.events);
    // Detection, then the failover's sequence (test/support/sequence.ts): the first occurrence of each phase, in order.
    const order = ['+sdown', '+odown', '+new-epoch', '+try-failover', '+elected-leader', ...seedSequence(1)];
    const positions = order.map((type) => seen.indexOf(type as (typeof seen)[number]));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(seen.filter((t) => t === '+elected-leader')).toHaveLength(1);
    expect(seen.filter((t) => t === '+switch-master')).toHaveLength(1);
    expect(running.events.events.find((e) => e.type === '+odown')?.message).toMatch(new RegExp(`#quorum \\d/${quorum}$`));
    for (const follower of [r100, r50]) await waitFollowing(follower, r10);
    expect(await countKeys(r10, 300)).toBe(300);
    expect(await running.orchestrator.store.getMaster('mymaster')).toMatchObject({ host: '127.0.0.1', port: r10.options.port, epoch: 1, failover: null });
    expect([...running.orchestrator.executions.keys()]).toEqual(['mymaster-1']);
  });
});

describe('SDOWN needs down-after, ODOWN needs quorum', () => {
  it('a master stopped for less than down-after moves nothing', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{}, {}] });
    const running = await orchestrate(topology, { downAfterMs: 1500 });

    topology.master.pause();
    await waitForTicks(running, 5); // 5 ping periods (100 ms each): well under down-after
    topology.master.resume();
    await waitForTicks(running, 20); // then 2 s of watching: any late opinion would show

    expect(types(running.events).filter((t) => t === '+sdown' || t === '+odown' || t === '+elected-leader')).toEqual([]);
    expect((await infoOf(topology.master)).role).toBe('master');
  });

  it('a master stopped longer is failed over, and demoted when it wakes up: one master in the end', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {});

    topology.master.pause();
    await waitForEvent(running.events, '+switch-master');
    topology.master.resume();
    const converted = await waitForEvent(running.events, '+convert-to-slave', (e) => e.detail.instance?.port === topology.master.options.port);

    expect(converted.message).toBe(
      `slave 127.0.0.1:${topology.master.options.port} 127.0.0.1 ${topology.master.options.port} @ mymaster 127.0.0.1 ${promoted.options.port}`,
    );
    for (const follower of [topology.master, other]) await waitFollowing(follower, promoted);
    const roles = await Promise.all(topology.all.map(async (s) => (await infoOf(s)).role));
    expect(roles.filter((r) => r === 'master')).toHaveLength(1);
  });

  it('one voter of three seeing the master down, with quorum 2, starts no failover', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{}] });
    const running = await orchestrate(topology, {}, { faults: { 'voter-1': { unreachable: (a) => sameAddress(a, topology.master.address) } } });

    const sdown = await waitForEvent(running.events, '+sdown');
    await waitForTicks(running, 30); // 3 s, six times down-after, after the lone opinion

    expect(sdown.detail.voter).toBe('voter-1');
    expect(types(running.events).filter((t) => t === '+odown' || t === '+elected-leader' || t === '+switch-master')).toEqual([]);
    expect((await infoOf(topology.master)).role).toBe('master');
  });
});
