/**
 * SENTINEL FAILOVER <name> COORDINATED through a running orchestrator: the request takes the
 * voters' lease, the live master hands over with Redis' FAILOVER, and the workflow resumes
 * from the new master. Real redis-server processes, a writer running throughout.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';

import type { RedisServer } from '../../local/redis-servers.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { failoverThroughPort, orchestrate, types, waitForEvent, waitForTicks } from '../support/orchestrator.ts';
import { infoOf, startTopology, waitFollowing } from '../support/topology.ts';
import { ackedPresent, freezeBehind, startWriter } from '../support/writer.ts';
import { FailoverRefused, HandoverAbortedError } from '../../lambdas/core/errors.ts';
import { NO_RECONNECT } from '../../lambdas/adapters/redis.ts';

const { ports, servers: freshServers } = integrationLifecycle();

describe('SENTINEL FAILOVER COORDINATED through the orchestrator', () => {
  it('hands over under the lease, loses no acknowledged write, and the voters start nothing more', async () => {
    const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted, other] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {});
    const writes = startWriter(topology.master);
    await waitFor(() => writes.acked.length > 200, { timeoutMs: 5000, what: 'the writer to get going' });
    // An application connection that never subscribes: it learns of the swap only by being closed.
    const app = new Redis({ ...topology.master.address, ...NO_RECONNECT, maxRetriesPerRequest: 0 });
    app.on('error', () => undefined);
    const appClosed = new Promise<void>((resolve) => app.once('end', () => resolve()));
    expect(await app.ping()).toBe('PONG');

    const started = await running.orchestrator.failover('mymaster', { coordinated: true });
    await writes.stop();
    await appClosed;

    expect(started).toEqual({
      master: 'mymaster',
      epoch: 1,
      execution: 'mymaster-1',
      from: topology.master.address,
      candidate: promoted.address,
      handedOver: true,
    });
    // The request returns once the roles have swapped; the workflow then re-points the other replica.
    expect((await infoOf(promoted)).role).toBe('master');
    const switched = await waitForEvent(running.events, '+switch-master');
    expect(switched.message).toBe(`mymaster 127.0.0.1 ${topology.master.options.port} 127.0.0.1 ${promoted.options.port}`);
    await waitFollowing(topology.master, promoted);
    await waitFollowing(other, promoted);
    expect(await ackedPresent(promoted, writes)).toBe(writes.acked.length);

    // The workflow resumed from the handed-over replica: no second REPLICAOF NO ONE, the old master already follows.
    const epoch1 = running.events.events.filter((e) => e.detail.epoch === 1).map((e) => e.type);
    expect(epoch1.slice(0, 3)).toEqual(['+new-epoch', '+try-failover', '+elected-leader']);
    expect(epoch1).not.toContain('+convert-to-slave');
    expect(epoch1.at(-1)).toBe('+switch-master');
    expect(await running.orchestrator.masterAddress('mymaster')).toEqual(promoted.address);
    expect(await running.orchestrator.store.getMaster('mymaster')).toMatchObject({ epoch: 1, failover: null, promoted: null });
    await waitForTicks(running, 20);
    expect([...running.orchestrator.executions.keys()]).toEqual(['mymaster-1']);
  });

  it('aborts the epoch when the replica cannot catch up: the master as it was, the lease released, -failover-abort-slave-timeout', async () => {
    const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 10 }] });
    const [replica] = topology.replicas as [RedisServer];
    const running = await orchestrate(topology, {});

    const attempt = running.orchestrator.failover('mymaster', {
      coordinated: true,
      coordinationTimeoutMs: 500,
      beforeHandover: () => freezeBehind(replica, topology.master), // it cannot catch up before the timeout
    });
    const error = await attempt.then(
      () => null,
      (e: unknown) => e,
    );
    replica.resume();

    expect(error).toBeInstanceOf(HandoverAbortedError);
    expect((error as Error).message).toBe(
      `mymaster: coordinated failover to 127.0.0.1:${replica.options.port} aborted (aborted); 127.0.0.1:${topology.master.options.port} is still the master`,
    );
    const info = await infoOf(topology.master);
    expect(info.role).toBe('master');
    expect(info.failoverState).toBe('no-failover');
    const abort = await waitForEvent(running.events, '-failover-abort-slave-timeout');
    expect(abort.detail).toMatchObject({ epoch: 1, execution: 'mymaster-1', voter: 'manual' });
    expect(abort.detail.reason).toContain('aborted');
    expect(await running.orchestrator.store.getMaster('mymaster')).toMatchObject({
      epoch: 1,
      failover: null,
      host: '127.0.0.1',
      port: topology.master.options.port,
    });
    await waitFollowing(replica, topology.master);
    // Nothing ran, nothing switched; a plain request may follow at once (manual requests are not blocked).
    expect([...running.orchestrator.executions.keys()]).toEqual([]);
    expect(types(running.events)).not.toContain('+switch-master');
    const again = await running.orchestrator.failover('mymaster', { coordinated: true });
    expect(again).toMatchObject({ epoch: 2, handedOver: true, candidate: replica.address });
    await waitForEvent(running.events, '+switch-master');
  });

  it('refuses a master that does not answer, before any epoch is spent', async () => {
    const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 10 }] });
    const running = await orchestrate(topology, { downAfterMs: 60_000 });
    await topology.master.kill();

    const error = await running.orchestrator.failover('mymaster', { coordinated: true }).then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(FailoverRefused);
    expect((error as FailoverRefused).code).toBe('UNREACHABLE');
    expect((error as Error).message).toBe(
      `UNREACHABLE COORDINATED needs a reachable master: 127.0.0.1:${topology.master.options.port} does not answer as a master; ask without COORDINATED`,
    );
    expect(await running.orchestrator.store.getMaster('mymaster')).toMatchObject({ epoch: 0, failover: null });
  });
});

describe('redis-failover failover --coordinated, through a running orchestrator', () => {
  it('asks SENTINEL FAILOVER <name> COORDINATED on the port and exits 0 after the switch', async () => {
    const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [promoted] = topology.replicas as [RedisServer, RedisServer];
    const running = await orchestrate(topology, {}, { sentinelPort: 0 });
    const { code, notes } = await failoverThroughPort(running, { port: topology.master.options.port }, true);

    expect(code).toBe(0);
    expect(notes[0]).toContain('asking it (SENTINEL FAILOVER mymaster COORDINATED)');
    expect(notes.some((n) => /^# mymaster: handed over \(\d+ ms, writes paused meanwhile\)/.test(n))).toBe(true);
    expect(notes.at(-1)).toMatch(new RegExp(`^# mymaster: switched to 127\\.0\\.0\\.1:${promoted.options.port} \\(\\d+ ms after the request\\)`));
    expect(await running.orchestrator.masterAddress('mymaster')).toEqual(promoted.address);
    expect(running.events.events.find((e) => e.type === '+elected-leader')?.detail.voter).toBe('manual');
  });
});

describe('a stale promotion in the table', () => {
  // A failover that recorded its promotion and then aborted leaves `promoted` in the record. If that replica no longer
  // acts as the master (restarted, re-pointed), a request must judge the replicas afresh: NOGOODSLAVE before any epoch.
  it('is not taken for a candidate: a request with no usable replica is refused before any epoch is spent', async () => {
    const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 0 }] });
    const [replica] = topology.replicas as [RedisServer];
    const running = await orchestrate(topology, {});
    const { store } = running.orchestrator;
    const record = (await store.getMaster('mymaster'))!;
    const lease = await store.tryStartFailover('mymaster', {
      expectedMaster: record,
      expectedEpoch: 0,
      leader: 'test',
      now: Date.now(),
      leaseMs: 60_000,
      blockMs: 0,
    });
    expect(lease.won).toBe(true);
    await store.recordPromotion('mymaster', { epoch: 1, promoted: replica.address, runId: 'an-earlier-run' });
    await store.abortFailover('mymaster', { epoch: 1 });

    const error = await running.orchestrator.failover('mymaster').then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(FailoverRefused);
    expect((error as Error).message).toBe(`NOGOODSLAVE No suitable replica to promote: 127.0.0.1:${replica.options.port} replica-priority 0`);
    expect(await store.getMaster('mymaster')).toMatchObject({ epoch: 1, failover: null });
  });
});
