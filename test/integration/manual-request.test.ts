/** SENTINEL FAILOVER through a running orchestrator: the voters' lease, INPROG, NOGOODSLAVE. */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import type { FailoverState } from '../../lambdas/core/workflow-state.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { failoverThroughPort, orchestrate, types, waitForEvent, waitForTicks } from '../support/orchestrator.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { infoOf, startTopology, waitFollowing } from '../support/topology.ts';
import { FailoverRefused } from '../../lambdas/core/errors.ts';
import { NO_RECONNECT } from '../../lambdas/adapters/redis.ts';

const { ports, servers: freshServers } = integrationLifecycle();

/**
 * A gate a workflow hook waits on: holds a failover in a known state while the test asks again.
 * It opens by itself after 15 s, so a failing test still lets the orchestrator stop.
 */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
    setTimeout(resolve, 15_000).unref();
  });
  return { wait: () => opened, open };
}

/** SENTINEL REPLICAS' answer, one object per replica, by port: Sentinel's flat lists read as fields. */
function replicasByPort(reply: unknown): Map<number, Record<string, string>> {
  const lists = reply as string[][];
  const entries = lists.map((flat): [number, Record<string, string>] => {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return [Number(fields.port), fields];
  });
  return new Map(entries);
}

/** A Sentinel-aware ioredis client on the port, as an application reading from replicas configures it. */
function replicaReader(port: number, preferred?: RedisServer): Redis {
  const reader = new Redis({
    sentinels: [{ host: '127.0.0.1', port }],
    name: 'mymaster',
    role: 'slave',
    preferredSlaves: preferred ? [{ ip: '127.0.0.1', port: String(preferred.options.port) }] : undefined,
    lazyConnect: true,
    sentinelRetryStrategy: () => null,
    ...NO_RECONNECT,
    maxRetriesPerRequest: 1,
  });
  reader.on('error', () => undefined);
  return reader;
}

async function refusal(attempt: Promise<unknown>): Promise<FailoverRefused> {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof FailoverRefused)) throw new Error(`expected a FailoverRefused, got ${String(error)}`);
  return error;
}

describe('SENTINEL FAILOVER through the orchestrator', () => {
  it('fails over a live master at the next epoch, answers INPROG to a second request, and the voters start nothing more', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const held = gate();
    const running = await orchestrate(topology, {}, { workflowHooks: () => ({ before: (state) => (state === 'SelectSlave' ? held.wait() : undefined) }) });

    const started = await running.orchestrator.failover('mymaster');
    expect(started).toEqual({
      master: 'mymaster',
      epoch: 1,
      execution: 'mymaster-1',
      from: topology.master.address,
      candidate: promoted.address,
      handedOver: false,
    });

    const second = await refusal(running.orchestrator.failover('mymaster'));
    expect(second.code).toBe('INPROG');
    expect(second.message).toMatch(/^INPROG Failover already in progress: mymaster-1 \(led by manual, started \d+\.\d s ago\)$/);
    held.open();

    const switched = await waitForEvent(running.events, '+switch-master');
    expect(switched.message).toBe(`mymaster 127.0.0.1 ${topology.master.options.port} 127.0.0.1 ${promoted.options.port}`);
    await waitFollowing(topology.master, promoted);
    await waitFollowing(other, promoted);
    expect(await running.orchestrator.masterAddress('mymaster')).toEqual(promoted.address);

    // The demoted master now reports role:slave; the voters know it was a failover, not a fault.
    await waitForTicks(running, 30);
    expect([...running.orchestrator.executions.keys()]).toEqual(['mymaster-1']);
    expect(types(running.events).filter((t) => t === '+elected-leader')).toHaveLength(1);
    const leadership = ['+new-epoch', '+try-failover', '+elected-leader', '+failover-triggered'];
    expect(types(running.events).filter((t) => leadership.includes(t))).toEqual(leadership);
    expect(running.events.events.find((e) => e.type === '+elected-leader')?.detail.voter).toBe('manual');
    expect((await infoOf(promoted)).role).toBe('master');
  });

  it('answers INPROG while the voters fail over, naming their execution', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const held = gate();
    const running = await orchestrate(topology, {}, { workflowHooks: () => ({ before: (state) => (state === 'SelectSlave' ? held.wait() : undefined) }) });

    await topology.master.kill();
    const elected = await waitForEvent(running.events, '+elected-leader');
    const answer = await refusal(running.orchestrator.failover('mymaster'));
    held.open();

    expect(answer.message).toMatch(new RegExp(`^INPROG Failover already in progress: mymaster-1 \\(led by ${elected.detail.voter}, started`));
    await waitForEvent(running.events, '+switch-master');
    expect([...running.orchestrator.executions.keys()]).toEqual(['mymaster-1']);
  });

  it('answers NOGOODSLAVE before taking the lease: no epoch, no event, no block', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 0 }] });
    const running = await orchestrate(topology, {});
    const before = running.events.events.length;

    const answer = await refusal(running.orchestrator.failover('mymaster'));

    expect(answer.code).toBe('NOGOODSLAVE');
    expect(answer.message).toBe(`NOGOODSLAVE No suitable replica to promote: 127.0.0.1:${topology.replicas[0]!.options.port} replica-priority 0`);
    expect(await running.orchestrator.store.getMaster('mymaster')).toMatchObject({ epoch: 0, failover: null, lastFailoverStartedAt: null });
    expect(running.events.events.length).toBe(before);
  });

  it('refuses a master it does not monitor, naming the ones it does', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{}] });
    const running = await orchestrate(topology, {});

    const answer = await refusal(running.orchestrator.failover('other'));

    expect(answer.message).toBe('UNKNOWN No such master with that name: "other" (known: mymaster)');
    expect(await running.orchestrator.masterAddress('other')).toBeNull();
  });
});

describe("the orchestrator's Sentinel port", () => {
  it('answers redis-cli style SENTINEL FAILOVER (OK, then -INPROG), and a Sentinel-aware client follows the failover', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    const held = gate();
    const running = await orchestrate(
      topology,
      {},
      { sentinelPort: 0, workflowHooks: () => ({ before: (state) => (state === 'SelectSlave' ? held.wait() : undefined) }) },
    );
    const port = running.orchestrator.sentinelPort!.port;
    const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    // What applications do: ask the Sentinel port for the master of `mymaster`, reconnect through it when dropped.
    const app = new Redis({ sentinels: [{ host: '127.0.0.1', port }], name: 'mymaster', sentinelRetryStrategy: () => 50, maxRetriesPerRequest: 20 });
    app.on('error', () => undefined); // reconnections are expected: the failover cuts it off
    // What Jedis and Lettuce do: listen to +switch-master on the Sentinel.
    const listener = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    const heard: string[] = [];
    listener.on('message', (channel: string, message: string) => heard.push(`${channel} ${message}`));
    try {
      await admin.connect();
      await listener.connect();
      await listener.subscribe('+switch-master');
      await app.set('before', '1');
      // Replication is asynchronous: a plain manual failover keeps what the replicas have (--coordinated waits for them).
      expect(await app.call('WAIT', '2', '5000')).toBe(2);
      expect(await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual(['127.0.0.1', String(topology.master.options.port)]);

      expect(await admin.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
      await expect(admin.call('SENTINEL', 'FAILOVER', 'mymaster')).rejects.toThrow(/^INPROG Failover already in progress: mymaster-1 \(led by manual/);
      await expect(admin.call('SENTINEL', 'FAILOVER', 'other')).rejects.toThrow(/^ERR No such master with that name: "other"/);
      held.open();

      await waitForEvent(running.events, '+switch-master');
      expect(await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual(['127.0.0.1', String(promoted.options.port)]);
      // The promoted replica is the master of record now, not a replica; the demoted master is one, once the voters see it follow.
      const [, other] = topology.replicas as [RedisServer, RedisServer];
      const replicas = await waitFor(
        async () => {
          const listed = replicasByPort(await admin.call('SENTINEL', 'REPLICAS', 'mymaster'));
          const following = [...listed.values()].every((r) => r['master-port'] === String(promoted.options.port) && r['master-link-status'] === 'ok');
          return listed.size === 2 && following ? listed : undefined;
        },
        { timeoutMs: 15_000, what: 'SENTINEL REPLICAS to list the old master and the other replica, following the promoted one' },
      );
      expect([...replicas.keys()].sort()).toEqual([topology.master.options.port, other.options.port].sort());
      await waitFor(() => heard.length > 0, { timeoutMs: 2000, what: '+switch-master on the port' });
      expect(heard).toEqual([`+switch-master mymaster 127.0.0.1 ${topology.master.options.port} 127.0.0.1 ${promoted.options.port}`]);
      // The failover cut the application off (CLIENT KILL); it asked the port again and writes to the new master.
      await waitFor(
        async () =>
          (await app.set('after', '1').then(
            () => true,
            () => false,
          )) && (await infoOf(promoted)).role === 'master',
        { timeoutMs: 10_000, what: 'a write through the Sentinel-aware client' },
      );
      const direct = promoted.client();
      try {
        expect(await direct.mget('before', 'after')).toEqual(['1', '1']);
      } finally {
        direct.disconnect();
      }
    } finally {
      admin.disconnect();
      app.disconnect();
      listener.disconnect();
    }
  });
});

describe("the orchestrator's Sentinel port: SENTINEL FAILOVER <name> COORDINATED", () => {
  it('hands over before answering OK, then the workflow switches the master of record', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }] });
    const [promoted] = topology.replicas as [RedisServer];
    const running = await orchestrate(topology, {}, { sentinelPort: 0 });
    const admin = new Redis({ port: running.orchestrator.sentinelPort!.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    try {
      await admin.connect();
      await expect(admin.call('SENTINEL', 'FAILOVER', 'mymaster', 'NOW')).rejects.toThrow(/^ERR syntax error$/);
      expect(await admin.call('sentinel', 'failover', 'mymaster', 'coordinated')).toBe('OK');
      // OK comes once the two have swapped roles (Redis' FAILOVER), before the workflow re-points anyone.
      expect((await infoOf(promoted)).role).toBe('master');
      await waitForEvent(running.events, '+switch-master');
      expect(await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual(['127.0.0.1', String(promoted.options.port)]);
    } finally {
      admin.disconnect();
    }
  });
});

describe("the orchestrator's Sentinel port, for clients reading from replicas", () => {
  it('lists each known replica as it is now, and ioredis with role slave reads from a live one, skipping a dead one', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [live, dead] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {}, { sentinelPort: 0 });
    const port = running.orchestrator.sentinelPort!.port;
    const admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    const readers: Redis[] = [];
    try {
      await admin.connect();
      const masterPort = String(topology.master.options.port);
      // Answered from what the voters last saw, as Sentinel answers from its last PING and INFO: once each replica's INFO is in.
      const listed = await waitFor(
        async () => {
          const replicas = replicasByPort(await admin.call('SENTINEL', 'REPLICAS', 'mymaster'));
          return replicas.size === 2 && [...replicas.values()].every((r) => r.runid !== '') ? replicas : null;
        },
        { timeoutMs: 5000, what: 'the voters to have read both replicas' },
      );
      expect([...listed.keys()].sort()).toEqual([live.options.port, dead.options.port].sort());
      for (const [server, priority] of [
        [live, '10'],
        [dead, '20'],
      ] as const) {
        expect(listed.get(server.options.port)).toMatchObject({
          name: `127.0.0.1:${server.options.port}`,
          ip: '127.0.0.1',
          port: String(server.options.port),
          runid: (await infoOf(server)).runId,
          flags: 'slave',
          'role-reported': 'slave',
          'master-link-status': 'ok',
          'master-host': '127.0.0.1',
          'master-port': masterPort,
          'slave-priority': priority,
          'slave-repl-offset': expect.stringMatching(/^\d+$/),
        });
      }
      expect(await admin.call('SENTINEL', 'SLAVES', 'mymaster')).toHaveLength(2);
      await expect(admin.call('SENTINEL', 'REPLICAS', 'other')).rejects.toThrow(/^ERR No such master with that name$/);

      const reader = replicaReader(port);
      readers.push(reader);
      await reader.connect();
      expect(await reader.info('replication')).toMatch(/^role:slave\r$/m);

      // Dead: disconnected at once (the connection refused), s_down after down-after, and a client that prefers it is sent to the live one instead.
      await dead.kill();
      const after = await waitFor(
        async () => {
          const replicas = replicasByPort(await admin.call('SENTINEL', 'REPLICAS', 'mymaster'));
          return replicas.get(dead.options.port)?.flags === 's_down,slave,disconnected' ? replicas : null;
        },
        { timeoutMs: 5000, what: 'the dead replica flagged s_down' },
      );
      expect(Number(after.get(dead.options.port)!['s-down-time'])).toBeGreaterThanOrEqual(0);
      expect(after.get(live.options.port)).toMatchObject({ flags: 'slave' });
      const skipping = replicaReader(port, dead);
      readers.push(skipping);
      await skipping.connect();
      expect(await skipping.info('replication')).toMatch(/^role:slave\r$/m);
      expect(await skipping.info('server')).toMatch(new RegExp(`^tcp_port:${live.options.port}\\r$`, 'm'));
    } finally {
      admin.disconnect();
      for (const reader of readers) reader.disconnect();
    }
  });

  it('answers MASTERS and CKQUORUM from the config and the table', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{}] });
    const running = await orchestrate(topology, {}, { sentinelPort: 0 });
    const admin = new Redis({ port: running.orchestrator.sentinelPort!.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    try {
      await admin.connect();
      const names = (flat: unknown) => (flat as string[]).filter((_, i) => i % 2 === 0);
      const masters = (await admin.call('SENTINEL', 'MASTERS')) as string[][];
      expect(masters.map(names)).toEqual([names(await admin.call('SENTINEL', 'MASTER', 'mymaster'))]);
      expect(masters[0]!.slice(0, 6)).toEqual(['name', 'mymaster', 'ip', '127.0.0.1', 'port', String(topology.master.options.port)]);
      expect(await admin.call('SENTINEL', 'CKQUORUM', 'mymaster')).toBe('OK 3 usable voters. Quorum 2 and the failover lease can be reached');
      await expect(admin.call('SENTINEL', 'CKQUORUM', 'other')).rejects.toThrow(/^ERR No such master with that name$/);
    } finally {
      admin.disconnect();
    }
  });
});

describe('redis-failover failover, through a running orchestrator', () => {
  it('exits 1 as soon as the failover aborts, instead of waiting out the lease', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }] });
    const [replica] = topology.replicas as [RedisServer];
    // The chosen replica dies before REPLICAOF NO ONE: -failover-abort-slave-timeout after failover-timeout (2 s).
    const running = await orchestrate(
      topology,
      {},
      {
        sentinelPort: 0,
        workflowHooks: () => ({
          before: async (state, input) => (state === 'SendSlaveofNoOne' && (input as FailoverState).selection?.promoted ? replica.kill() : undefined),
        }),
      },
    );
    const { code, notes } = await failoverThroughPort(running, { port: topology.master.options.port, failoverTimeoutMs: 2000 }, false);

    expect(code).toBe(1);
    // Seen from the table (SENTINEL MASTER: the epoch moved, no failover in progress), not from the lease running out.
    expect(notes.at(-1)).toBe("# mymaster: the failover ended without a switch (aborted); the orchestrator's output says why\n");
    expect(types(running.events)).toContain('-failover-abort-slave-timeout');
    expect(await running.orchestrator.masterAddress('mymaster')).toEqual(topology.master.address);
  });
});
