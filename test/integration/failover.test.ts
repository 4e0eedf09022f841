/**
 * The failover workflow end to end: the synthesized definition, run locally against real
 * redis-server processes, started by hand as `SENTINEL FAILOVER` would.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { RedisServers } from '../../local/redis-servers.ts';
import { LocalWorkflow } from '../../local/workflow-runner.ts';
import { requestOnce, runWorkflowOnce } from '../support/failover-run.ts';
import { testPorts } from '../support/ports.ts';
import { seedSequence } from '../support/sequence.ts';
import { countKeys, infoOf, masterConfig, startTopology, waitFollowing, writeKeys } from '../support/topology.ts';
import { ackedPresent, freezeBehind, startWriter } from '../support/writer.ts';

const ports = testPorts();
let servers: RedisServers;

beforeAll(async () => {
  await LocalWorkflow.load(); // synthesize once, outside every test's timing
});

afterEach(async () => {
  await servers?.stopAll();
});

describe('manual failover on a live topology', () => {
  it('promotes the replica with the best priority, re-points the rest and the old master, keeps the data', async () => {
    servers = new RedisServers();
    // Priorities 100 / 10 / 0; the first replica runs without a config file, so CONFIG REWRITE fails there.
    const topology = await startTopology(servers, await ports, {
      replicas: [{ replicaPriority: 100, withConfigFile: false }, { replicaPriority: 10 }, { replicaPriority: 0 }],
    });
    const [r100, r10, r0] = topology.replicas as [typeof topology.master, typeof topology.master, typeof topology.master];
    await writeKeys(topology.master, 500, 3);
    const master = masterConfig(topology);
    const events = new MemoryPublisher();

    const { execution } = await runWorkflowOnce({ master, publisher: events });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(r10.address);
    expect((await infoOf(r10)).role).toBe('master');
    for (const follower of [r100, r0, topology.master]) await waitFollowing(follower, r10);
    expect(await countKeys(r10, 500)).toBe(500);
    expect(await countKeys(r0, 500)).toBe(500);

    // The old master is demoted beside the replicas: its event may land anywhere in the reconfiguration.
    const seen = events.events.map((e) => e.type);
    expect(seen.filter((t) => t !== '+convert-to-slave')).toEqual(seedSequence(2));
    expect(seen.filter((t) => t === '+convert-to-slave')).toHaveLength(1);
    expect(seen.indexOf('+convert-to-slave')).toBeGreaterThan(seen.indexOf('+failover-state-reconf-slaves'));
    expect(seen.indexOf('+convert-to-slave')).toBeLessThan(seen.indexOf('+failover-end'));
    const m = `mymaster 127.0.0.1 ${topology.master.options.port}`;
    const slave = (port: number) => `slave 127.0.0.1:${port} 127.0.0.1 ${port} @ ${m}`;
    const messages = events.events.map((e) => `${e.type} ${e.message}`);
    expect(messages).toContain(`+selected-slave ${slave(r10.options.port)}`);
    expect(messages).toContain(`+failover-state-reconf-slaves master ${m}`);
    expect(messages).toContain(`+slave-reconf-done ${slave(r100.options.port)}`);
    expect(messages).toContain(`+slave-reconf-done ${slave(r0.options.port)}`);
    expect(messages).toContain(
      `+convert-to-slave slave 127.0.0.1:${topology.master.options.port} 127.0.0.1 ${topology.master.options.port} @ mymaster 127.0.0.1 ${r10.options.port}`,
    );
    expect(messages.at(-1)).toBe(`+switch-master ${m} 127.0.0.1 ${r10.options.port}`);
    expect(new Set(events.events.map((e) => e.detail.execution))).toEqual(new Set(['mymaster-1']));
  });

  it('with equal priorities promotes the replica with the larger replication offset', async () => {
    servers = new RedisServers();
    const topology = await startTopology(servers, await ports, { replicas: [{}, {}] });
    const [behind, ahead] = topology.replicas as [typeof topology.master, typeof topology.master];
    await writeKeys(topology.master, 100, 2, 'early');
    // Freeze one replica and cut both links: only `ahead` reconnects and gets the late writes.
    behind.pause();
    const client = topology.master.client();
    await client.call('CLIENT', 'KILL', 'TYPE', 'replica');
    client.disconnect();
    await writeKeys(topology.master, 100, 1, 'late');
    await topology.master.kill();
    behind.resume();
    const offsets = await Promise.all([infoOf(behind), infoOf(ahead)]);
    expect(offsets[1].replOffset).toBeGreaterThan(offsets[0].replOffset);

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology), publisher: new MemoryPublisher() });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(ahead.address);
    await waitFollowing(behind, ahead);
    expect(await countKeys(behind, 100, 'late')).toBe(100);
  });
});

describe('manual failover after kill -9 of the master', () => {
  it('promotes the same replica from the remembered replicas, without waiting on the dead master', async () => {
    servers = new RedisServers();
    const topology = await startTopology(servers, await ports, { replicas: [{ replicaPriority: 100 }, { replicaPriority: 10 }, { replicaPriority: 0 }] });
    const [r100, r10, r0] = topology.replicas as [typeof topology.master, typeof topology.master, typeof topology.master];
    await writeKeys(topology.master, 500, 3);
    await topology.master.kill();
    const events = new MemoryPublisher();

    const { execution, input } = await runWorkflowOnce({ master: masterConfig(topology), publisher: events });

    expect(input.masterDownSince).not.toBeNull();
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(r10.address);
    for (const follower of [r100, r0]) await waitFollowing(follower, r10);
    expect(await countKeys(r10, 500)).toBe(500);
    // The dead master is skipped at once: no +convert-to-slave, its item left as unreachable.
    expect(events.events.map((e) => e.type)).toEqual(seedSequence(2));
    const oldMasterItem = execution.output?.reconf?.oldMaster;
    expect(oldMasterItem?.phase).toBe('unreachable');
  });
});

describe('idempotent steps', () => {
  it('leaves the same topology when every step runs twice in a row', async () => {
    servers = new RedisServers();
    const topology = await startTopology(servers, await ports, { replicas: [{ replicaPriority: 100 }, { replicaPriority: 10 }, { replicaPriority: 50 }] });
    const [r100, r10, r50] = topology.replicas as [typeof topology.master, typeof topology.master, typeof topology.master];
    await writeKeys(topology.master, 200, 3);

    const { execution } = await runWorkflowOnce({ master: masterConfig(topology), publisher: new MemoryPublisher(), hooks: { runTwice: true } });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(r10.address);
    for (const follower of [r100, r50, topology.master]) await waitFollowing(follower, r10);
    const roles = await Promise.all(topology.all.map(async (s) => (await infoOf(s)).role));
    expect(roles.filter((role) => role === 'master')).toHaveLength(1);
    expect(await countKeys(r100, 200)).toBe(200);
  });
});

describe('AUTH', () => {
  it('fails over servers that require a password, and the password appears in no event and no workflow state', async () => {
    const password = 'pw-9f2c41d7-never-logged';
    servers = new RedisServers();
    const topology = await startTopology(servers, ports, { password, replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [typeof topology.master, typeof topology.master];
    const events = new MemoryPublisher();

    const { execution, input } = await runWorkflowOnce({
      master: masterConfig(topology, { auth: { username: 'default', password } }),
      publisher: events,
    });

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(promoted.address);
    for (const follower of [other, topology.master]) await waitFollowing(follower, promoted);
    const everything = JSON.stringify({ events: events.events, input, execution });
    expect(everything).not.toContain(password);
  });

  it('refuses to start with a wrong password, naming the server, touching nothing', async () => {
    servers = new RedisServers();
    const topology = await startTopology(servers, ports, { password: 'right-password', replicas: [{ replicaPriority: 10 }] });

    const attempt = requestOnce({ master: masterConfig(topology, { auth: { password: 'wrong-password' } }), publisher: new MemoryPublisher() });

    // Discovery asks the master first: a refused AUTH is an error for the operator, not a dead master.
    await expect(attempt).rejects.toThrow(
      `mymaster: 127.0.0.1:${topology.master.options.port} refused authentication: WRONGPASS invalid username-password pair or user is disabled.; check the auth of master mymaster in the config`,
    );
    expect((await infoOf(topology.master)).role).toBe('master');
    await waitFollowing(topology.replicas[0]!, topology.master);
  });
});

describe('coordinated failover (--coordinated)', () => {
  it('loses no acknowledged write while a writer keeps writing through the switchover', async () => {
    servers = new RedisServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [typeof topology.master, typeof topology.master];
    const writes = startWriter(topology.master);
    await waitFor(() => writes.acked.length > 200, { timeoutMs: 5000, what: 'the writer to get going' });

    const { execution } = await requestOnce({ master: masterConfig(topology), publisher: new MemoryPublisher(), coordinated: true });
    await writes.stop();

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output?.switched?.newMaster).toEqual(promoted.address);
    for (const follower of [topology.master, other]) await waitFollowing(follower, promoted);
    expect(await ackedPresent(promoted, writes)).toBe(writes.acked.length);
  });

  it('leaves the master as it was when the replica cannot catch up in time', async () => {
    servers = new RedisServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }] });
    const [replica] = topology.replicas as [typeof topology.master];

    const attempt = requestOnce({
      master: masterConfig(topology),
      publisher: new MemoryPublisher(),
      coordinated: true,
      coordinationTimeoutMs: 500,
      beforeHandover: () => freezeBehind(replica, topology.master), // it cannot catch up before the timeout
    });

    await expect(attempt).rejects.toThrow(
      `mymaster: coordinated failover to 127.0.0.1:${replica.options.port} aborted (aborted); 127.0.0.1:${topology.master.options.port} is still the master`,
    );
    replica.resume();
    const info = await infoOf(topology.master);
    expect(info.role).toBe('master');
    expect(info.failoverState).toBe('no-failover');
    const client = topology.master.client();
    expect(await client.set('after', '1')).toBe('OK'); // writes resumed
    client.disconnect();
    await waitFollowing(replica, topology.master);
  });
});
