/** Redis Sentinel's own test scenarios (tests/sentinel/tests) that apply here, on real servers. */
import { describe, expect, it } from 'vitest';
import type { ReconfItem } from '../../lambdas/core/workflow-state.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { orchestrate, testConfig, types, waitForEvent, waitForTicks, type Running } from '../support/orchestrator.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import { LocalOrchestrator } from '../../local/orchestrator.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { countKeys, infoOf, startTopology, waitFollowing, writeKeys } from '../support/topology.ts';

const { ports, servers: freshServers } = integrationLifecycle();

describe('SDOWN causes', () => {
  it('a master that starts advertising itself as a replica is failed over', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {});

    // Pointed at nothing, as Sentinel's test does: it still answers PING, but reports role:slave.
    const client = topology.master.client();
    await client.call('REPLICAOF', '127.0.0.1', String(await ports.take()));
    client.disconnect();
    const sdown = await waitForEvent(running.events, '+sdown', (e) => e.detail.instance?.type === 'master');
    const switched = await waitForEvent(running.events, '+switch-master');

    expect(sdown.message).toBe(`master mymaster 127.0.0.1 ${topology.master.options.port}`);
    expect(switched.detail.newMaster).toEqual(promoted.address);
  });

  it('a master replying to PING with errors (-BUSY: a script stuck after a write, which SCRIPT KILL cannot stop) is failed over', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {});

    // Alive, answering every other client with -BUSY: not an acceptable reply.
    const stuck = await runawayScript(topology.master, "redis.call('SET', 'stuck', '1') while true do end");
    try {
      const sdown = await waitForEvent(running.events, '+sdown', (e) => e.detail.instance?.type === 'master');
      expect(sdown.message).toBe(`master mymaster 127.0.0.1 ${topology.master.options.port}`);
      const switched = await waitForEvent(running.events, '+switch-master');
      expect(switched.detail.newMaster).toEqual(promoted.address);
    } finally {
      stuck.stop();
      await topology.master.kill(); // a busy server ignores SIGTERM until its script ends, and this one never does
    }
  });
});

/** A Lua script that never returns: the server answers every other client -BUSY after 50 ms. `outcome` is how EVAL ended. */
async function runawayScript(server: RedisServer, body: string): Promise<{ outcome: Promise<string>; stop(): void }> {
  const admin = server.client();
  try {
    await admin.call('CONFIG', 'SET', 'busy-reply-threshold', '50');
  } finally {
    admin.disconnect();
  }
  const client = server.client();
  client.on('error', () => undefined);
  const outcome = client.call('EVAL', body, '0').then(
    () => 'ended',
    (error: unknown) => String(error),
  );
  return { outcome, stop: () => client.disconnect() };
}

describe('a master kept -BUSY by a script that wrote nothing', () => {
  it('gets SCRIPT KILL once it is SDOWN, as Sentinel sends it, and answers again', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }] });
    const running = await orchestrate(topology, {});

    const runaway = await runawayScript(topology.master, 'while true do end');
    try {
      await waitForEvent(running.events, '+sdown', (e) => e.detail.instance?.type === 'master');
      // Killed by a voter: the script's own client is told so, and the master answers PING again.
      const outcome = await Promise.race([
        runaway.outcome,
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000).unref()),
      ]);
      expect(outcome).toMatch(/Script killed by user/);
      expect(
        running.log.some(
          (line) => line === `mymaster: 127.0.0.1:${topology.master.options.port} answers -BUSY while SDOWN: sent SCRIPT KILL, as Sentinel does`,
        ),
      ).toBe(true);
      // Whether the voters' failover began before the kill landed is a race, as with Sentinel: the master answers either way.
      const ping = topology.master.client();
      try {
        expect(await ping.ping()).toBe('PONG');
      } finally {
        ping.disconnect();
      }
    } finally {
      runaway.stop();
    }
  });
});

describe('master reboot in a very short time (master-reboot-down-after-period)', () => {
  /** A master that restarts at once but then loads its dataset for about 2 s, answering -LOADING. */
  async function slowLoadingMaster() {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, {
      // 1 ms per key, and a -LOADING reply between every KB loaded: a long load, visible from outside.
      masterExtra: [
        ['key-load-delay', '1000'],
        ['loading-process-events-interval-bytes', '1024'],
      ],
      replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }],
    });
    await writeKeys(topology.master, 2000, 2);
    const admin = topology.master.client();
    await admin.call('SAVE');
    admin.disconnect();
    return topology;
  }

  it('fails over a master that rebooted and keeps answering -LOADING past the period', async () => {
    const topology = await slowLoadingMaster();
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    // down-after far longer than the restart: only the reboot rule can call it down.
    const running = await orchestrate(topology, { downAfterMs: 5000, masterRebootDownAfterMs: 500 });

    await topology.master.restart({ loading: true });
    const reboot = await waitForEvent(running.events, '+reboot');
    const switched = await waitForEvent(running.events, '+switch-master');

    expect(reboot.message).toBe(`master mymaster 127.0.0.1 ${topology.master.options.port}`);
    expect(switched.detail.newMaster).toEqual(promoted.address);
    expect(await countKeys(promoted, 2000)).toBe(2000);
  });

  it("waits for the load when the period is 0 (Sentinel's default): +reboot, and no failover", async () => {
    const topology = await slowLoadingMaster();
    const running = await orchestrate(topology, { downAfterMs: 5000 });

    await topology.master.restart({ loading: true });
    await waitForEvent(running.events, '+reboot');
    await waitFor(
      async () =>
        !(await infoOf(topology.master).then(
          (i) => i.loading,
          () => true,
        )),
      { timeoutMs: 15_000, what: 'the master to finish loading' },
    );
    await waitForTicks(running, 10);

    expect(types(running.events).filter((t) => t === '+sdown' || t === '+odown' || t === '+try-failover')).toEqual([]);
    expect((await infoOf(topology.master)).role).toBe('master');
  });
});

describe('replicas reconfigured', () => {
  it('a replica killed during the failover and restarted later is fixed (+fix-slave-config)', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }, { replicaPriority: 30 }] });
    const [promoted, doomed] = topology.replicas as [RedisServer, RedisServer, RedisServer];
    const running = await orchestrate(
      topology,
      {},
      {
        workflowHooks: () => ({
          before: async (state, input) => {
            if (state === 'ReconfSlave' && (input as ReconfItem).target.port === doomed.options.port) await doomed.kill();
          },
        }),
      },
    );

    await topology.master.kill();
    await waitForEvent(running.events, '+switch-master');
    await doomed.restart(); // comes back still configured to follow the dead master

    const fixed = await waitForEvent(running.events, '+fix-slave-config', (e) => e.detail.instance?.port === doomed.options.port, 30_000);
    expect(fixed.message).toBe(`slave 127.0.0.1:${doomed.options.port} 127.0.0.1 ${doomed.options.port} @ mymaster 127.0.0.1 ${promoted.options.port}`);
    await waitFollowing(doomed, promoted);
    expect((await infoOf(promoted)).role).toBe('master');
  });
});

describe('fencing', () => {
  it('warns, once per master, when min-replicas-to-write is not set, and not when it is', async () => {
    const servers = freshServers();
    const unfenced = await startTopology(servers, ports, { replicas: [{}] });
    const running = await orchestrate(unfenced, {});
    await waitFor(() => running.log.some((line) => line.includes('min-replicas-to-write is not set')), { timeoutMs: 5000, what: 'the fencing warning' });
    await waitForTicks(running, 15);
    expect(running.log.filter((line) => line.includes('min-replicas-to-write is not set'))).toEqual([
      `mymaster: min-replicas-to-write is not set on 127.0.0.1:${unfenced.master.options.port}: cut off from the voters but not from its clients, it would take writes a failover discards (docs/fencing.md)`,
    ]);
    await running.orchestrator.stop();

    const fenced = await startTopology(servers, ports, {
      replicas: [{}],
      masterExtra: [
        ['min-replicas-to-write', '1'],
        ['min-replicas-max-lag', '10'],
      ],
    });
    const quiet = await orchestrate(fenced, { quorum: 1 }, { probes: 1 });
    await waitForTicks(quiet, 15);
    expect(quiet.log.filter((line) => line.includes('min-replicas-to-write'))).toEqual([]);
  });
});

describe('hostnames', () => {
  it('an unresolvable master name is reported, and does not stop the failover of another master', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }] });
    const [promoted] = topology.replicas as [RedisServer];
    const config = parseConfig({
      probes: 2,
      masters: [
        { name: 'ghost', host: 'no-such-host.invalid', port: 6379, quorum: 2, downAfterMs: 500, failoverTimeoutMs: 2000 },
        // By name, resolved at every connection: localhost, not a cached address.
        { name: 'mymaster', host: 'localhost', port: topology.master.options.port, quorum: 2, downAfterMs: 500, failoverTimeoutMs: 2000 },
      ],
    });
    const events = new MemoryPublisher();
    const log: string[] = [];
    const orchestrator = await LocalOrchestrator.start({ config, publisher: events, log: (line) => log.push(line) });
    try {
      await waitFor(async () => (await orchestrator.store.listReplicas('mymaster')).length === 1, { timeoutMs: 10_000, what: 'the replica discovered' });
      await waitFor(() => log.some((line) => line.startsWith('ghost: cannot resolve no-such-host.invalid')), { timeoutMs: 10_000, what: 'the report' });

      await topology.master.kill();
      const switched = await waitFor(() => events.events.find((e) => e.type === '+switch-master' && e.master === 'mymaster'), {
        timeoutMs: 20_000,
        what: '+switch-master of mymaster',
      });
      expect(switched.detail.newMaster?.port).toBe(promoted.options.port);
    } finally {
      await orchestrator.stop();
    }
  });
});

/** kill -9 of the master, then the failover must promote `promoted` and re-point `other` at it. */
async function killMasterExpectingSwitch(master: RedisServer, running: Running, promoted: RedisServer, other: RedisServer): Promise<void> {
  await master.kill();
  const switched = await waitForEvent(running.events, '+switch-master');
  expect(switched.detail.newMaster).toEqual(promoted.address);
  await waitFollowing(other, promoted);
}

describe('a wrong password', () => {
  it('is said once per server, clearly, and starts nothing: no SDOWN, no failover attempt', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { password: 'right-pw', replicas: [{ replicaPriority: 10 }] });
    const [replica] = topology.replicas as [RedisServer];
    // knownReplicas: with credentials refused, INFO cannot reveal the replicas.
    const running = await orchestrate(topology, { auth: { password: 'wrong-pw' }, knownReplicas: [replica.address] });

    await waitForTicks(running, 40); // 2 s: four times down-after

    const refusals = running.log.filter((line) => line.includes('refused our credentials'));
    const expected = topology.all.map(
      (s) =>
        `mymaster: 127.0.0.1:${s.options.port} refused our credentials (WRONGPASS invalid username-password pair or user is disabled.); check auth of master mymaster: until they work it is watched for replies only, and never failed over for this`,
    );
    expect([...new Set(refusals)].sort()).toEqual(expected.sort());
    expect(refusals.length).toBe(topology.all.length); // once per server, not per voter or PING
    expect(running.log.join('\n')).not.toContain('wrong-pw');
    // A refusal is a reply: the servers are up, only our configuration is wrong.
    expect(types(running.events).filter((t) => t === '+sdown' || t === '+odown' || t === '+try-failover')).toEqual([]);
    expect((await infoOf(topology.master)).role).toBe('master');
    await waitFollowing(replica, topology.master);
  });

  it("on the master only (its password changed before the config's) fails nothing over, and its death still does", async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { password: 'old-pw', replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(
      topology,
      { auth: { password: 'old-pw' } },
      { reloadConfig: () => testConfig(topology, { auth: { password: 'old-pw' } }) },
    );

    // Half a rotation: Sentinel's rule would fail this healthy master over, and could never demote it (it refuses us).
    await topology.master.changePassword('new-pw');
    await waitFor(() => running.log.some((line) => line.includes(`127.0.0.1:${topology.master.options.port} refused our credentials`)), {
      timeoutMs: 5000,
      what: 'the refusal notice',
    });
    await waitForTicks(running, 40); // 2 s: four times down-after
    expect(types(running.events).filter((t) => t === '+sdown' || t === '+odown' || t === '+try-failover')).toEqual([]);

    // No reply at all is still down.
    await killMasterExpectingSwitch(topology.master, running, promoted, other);
  });
});

describe('credentials changed at run time', () => {
  it('picks up a rotated password at the first refusal: no SDOWN, and the failover after it uses the new one', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { password: 'old-pw', replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    // The config as the operator edits it (the file, for `redis-failover local`).
    let password = 'old-pw';
    const running = await orchestrate(topology, { auth: { password } }, { reloadConfig: () => testConfig(topology, { auth: { password } }) });

    // Rotation: the secret first, then every server, each cutting its clients off so they reconnect.
    password = 'new-pw';
    for (const server of topology.all) await server.changePassword('new-pw');
    await waitForTicks(running, 20); // 2 s: four times down-after, on connections opened with the new password
    expect(types(running.events).filter((t) => t === '+sdown' || t === '+odown')).toEqual([]);

    await killMasterExpectingSwitch(topology.master, running, promoted, other);
  });
});

describe('a password added at run time', () => {
  it('is picked up from the config file when the servers start wanting one: no SDOWN, and the failover after it works', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    // No auth in the config at start; the operator adds it to the file when turning requirepass on.
    let auth: { password: string } | undefined;
    const running = await orchestrate(topology, {}, { reloadConfig: () => testConfig(topology, auth ? { auth } : {}) });

    auth = { password: 'added-pw' };
    for (const server of topology.all) await server.changePassword('added-pw');
    await waitForTicks(running, 20); // 2 s: four times down-after, on connections opened with the password
    expect(types(running.events).filter((t) => t === '+sdown' || t === '+odown')).toEqual([]);

    await killMasterExpectingSwitch(topology.master, running, promoted, other);
    expect(running.log.join('\n')).not.toContain('added-pw');
  });
});

describe('hostnames and addresses', () => {
  it('takes a replica configured with the IP as following a master configured by name: no +fix-slave-config', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{}] }); // replicaof 127.0.0.1 <port>
    // failover-timeout 500: a replica seen following "another" master that long would be re-pointed.
    const running = await orchestrate(topology, { host: 'localhost', failoverTimeoutMs: 500 });

    await waitForTicks(running, 30); // 1.5 s: three times failover-timeout

    expect(types(running.events).filter((t) => t === '+fix-slave-config' || t === '+sdown')).toEqual([]);
  });
});

describe('ACL users', () => {
  it('fails over with a least-privilege ACL user holding only the commands Sentinel needs', async () => {
    const servers = freshServers();
    // Replication keeps the default user's password; the orchestrator gets its own, narrower user.
    const acl: Array<[string, string]> = [
      ['user', 'failover on >failover-pw ~* &* -@all +ping +info +multi +exec +replicaof +config|rewrite +client|kill +script|kill'],
    ];
    const topology = await startTopology(servers, ports, {
      password: 'replication-pw',
      masterExtra: acl,
      replicas: [
        { replicaPriority: 10, extra: acl },
        { replicaPriority: 20, extra: acl },
      ],
    });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, { auth: { username: 'failover', password: 'failover-pw' } });

    await topology.master.kill();
    const switched = await waitForEvent(running.events, '+switch-master');

    expect(switched.detail.newMaster).toEqual(promoted.address);
    await waitFollowing(other, promoted);
  });
});
