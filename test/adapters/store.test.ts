import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTable, DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';
import { masterForClients } from '../../lambdas/core/store.ts';
import type { KnownReplica, MasterRecord, Vote } from '../../lambdas/core/store.ts';
import type { MasterRef } from '../../lambdas/core/types.ts';
import type { WatchSnapshot } from '../../lambdas/core/voter-session.ts';
import { startDynalite } from '../../local/dynalite.ts';
import type { LocalDynamo } from '../../local/dynalite.ts';
import { StaleEpochError } from '../../lambdas/core/errors.ts';

const TABLE = 'failover';
const T0 = 1_800_000_000_000;
const LEASE_MS = 180_000;
const BLOCK_MS = 360_000; // 2 × failover-timeout

let local: LocalDynamo;
let store: DynamoDbStore;
let masters = 0;

beforeAll(async () => {
  local = await startDynalite();
  await createTable(local.client, TABLE);
  store = new DynamoDbStore({ client: local.client, tableName: TABLE });
});

afterAll(async () => {
  await local?.stop();
});

/** A fresh master per test: tests share one table and never see each other's items. */
async function freshMaster(): Promise<MasterRef> {
  const master = { name: `m${++masters}`, host: '10.0.0.1', port: 6379 };
  await store.ensureMaster(master);
  return master;
}

function start(name: string, expectedEpoch: number, leader: string, now: number) {
  return store.tryStartFailover(name, { expectedMaster: { host: '10.0.0.1', port: 6379 }, expectedEpoch, leader, now, leaseMs: LEASE_MS, blockMs: BLOCK_MS });
}

function replica(port: number): KnownReplica {
  return { host: '10.0.0.2', port };
}

describe('DynamoDbStore: master record', () => {
  it('ensureMaster creates the record from the config, then never overwrites it', async () => {
    const master = { name: 'cfg', host: '10.0.0.1', port: 6379 };
    const created = await store.ensureMaster(master);
    expect(created).toEqual<MasterRecord>({ ...master, epoch: 0, failover: null, lastFailoverStartedAt: null, switchedAt: null, promoted: null, pause: null });
    expect(await store.getMaster('cfg')).toEqual(created);

    await store.tryStartFailover('cfg', {
      expectedMaster: { host: '10.0.0.1', port: 6379 },
      expectedEpoch: 0,
      leader: 'p1',
      now: T0,
      leaseMs: LEASE_MS,
      blockMs: BLOCK_MS,
    });
    const switched = await store.completeFailover('cfg', { epoch: 1, newMaster: { host: '10.0.0.2', port: 6380 }, now: T0 + 1 });

    // The config still names the old master: the table wins.
    expect(await store.ensureMaster(master)).toEqual(switched);
    expect(await store.ensureMaster({ ...master, port: 7000 })).toMatchObject({ host: '10.0.0.2', port: 6380, epoch: 1 });
  });

  it('getMaster is null for an unknown master', async () => {
    expect(await store.getMaster('nobody')).toBeNull();
  });
});

describe('DynamoDbStore: votes', () => {
  it('puts, lists and overwrites one opinion per voter, expired ones included', async () => {
    const { name } = await freshMaster();
    const other = await freshMaster();
    const a: Vote = { voter: 'probe-a', master: name, about: '10.0.0.1:6379', sdownSince: T0, observedAt: T0 + 100, expiresAt: T0 + 5_100 };
    const b: Vote = { voter: 'probe-b', master: name, about: '10.0.0.1:6379', sdownSince: null, observedAt: T0, expiresAt: T0 + 5_000 };
    await store.putVote(a);
    await store.putVote(b);
    await store.putVote({ ...a, master: other.name });
    await store.upsertReplicas(name, [replica(6380)]); // same partition, not a vote

    expect(sortBy(await store.listVotes(name), (v) => v.voter)).toEqual([a, b]);

    const a2 = { ...a, sdownSince: null, observedAt: T0 + 9_000, expiresAt: T0 + 14_000 };
    await store.putVote(a2);
    expect(sortBy(await store.listVotes(name), (v) => v.voter)).toEqual([a2, b]);
    expect(await store.listVotes('nobody')).toEqual([]);
  });

  it('reads a vote written before votes named their master as about nothing in particular', async () => {
    const { name } = await freshMaster();
    await local.client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: marshall({ pk: `master#${name}`, sk: 'vote#old', voter: 'old', master: name, sdownSince: T0, observedAt: T0, expiresAt: T0 + 5000 }),
      }),
    );
    expect(await store.listVotes(name)).toEqual([{ voter: 'old', master: name, about: null, sdownSince: T0, observedAt: T0, expiresAt: T0 + 5000 }]);
  });
});

describe('DynamoDbStore: replicas', () => {
  it('upserts, lists and removes replicas', async () => {
    const { name } = await freshMaster();
    await store.upsertReplicas(name, [replica(6380), replica(6381)]);
    await store.upsertReplicas(name, [replica(6381)]);
    await store.putVote({ voter: 'p', master: name, about: null, sdownSince: null, observedAt: T0, expiresAt: T0 }); // not a replica

    expect(sortBy(await store.listReplicas(name), (r) => r.port)).toEqual([replica(6380), replica(6381)]);

    await store.removeReplica(name, { host: '10.0.0.2', port: 6380 });
    await store.removeReplica(name, { host: '10.0.0.2', port: 9999 }); // absent: no error
    expect((await store.listReplicas(name)).map((r) => r.port)).toEqual([6381]);
  });

  it('addReplica adds once: only the first of racing voters is told the replica is new', async () => {
    const { name } = await freshMaster();
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => store.addReplica(name, replica(6390))));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.addReplica(name, replica(6390))).toBe(false);
    expect(await store.listReplicas(name)).toEqual([replica(6390)]);
  });

  it('reads a replica item written with the fields replicas no longer have (runId, priority, offset, lastSeenAt) as its address', async () => {
    const { name } = await freshMaster();
    const item = { pk: `master#${name}`, sk: 'replica#10.0.0.2:6382', host: '10.0.0.2', port: 6382, runId: 'old', priority: 100, offset: 0, lastSeenAt: T0 };
    await local.client.send(new PutItemCommand({ TableName: TABLE, Item: marshall(item) }));
    expect(await store.listReplicas(name)).toEqual([replica(6382)]);
  });

  it('follows LastEvaluatedKey across pages', async () => {
    const { name } = await freshMaster();
    const doc = DynamoDBDocumentClient.from(local.client);
    const paged = new DynamoDbStore({ client: doc, tableName: TABLE, pageSize: 10 });
    const replicas = Array.from({ length: 105 }, (_, i) => replica(7000 + i));
    await paged.upsertReplicas(name, replicas);

    const send = vi.spyOn(doc, 'send');
    const listed = await paged.listReplicas(name);
    const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand).length;
    send.mockRestore();

    expect(sortBy(listed, (r) => r.port)).toEqual(replicas);
    expect(queries).toBe(11);
    expect(await store.listReplicas(name)).toHaveLength(105); // default page size: same answer
  });
});

describe('DynamoDbStore: tryStartFailover', () => {
  it('the first caller wins epoch 0 → 1 and holds the lease', async () => {
    const { name } = await freshMaster();
    const result = await start(name, 0, 'probe-a', T0);
    expect(result).toEqual({
      won: true,
      record: {
        name,
        host: '10.0.0.1',
        port: 6379,
        epoch: 1,
        failover: { epoch: 1, execution: `${name}-1`, leader: 'probe-a', startedAt: T0, leaseExpiresAt: T0 + LEASE_MS },
        lastFailoverStartedAt: T0,
        switchedAt: null,
        promoted: null,
        pause: null,
      },
    });
    expect(await store.getMaster(name)).toEqual(result.record);
  });

  it('a second caller with the same expected epoch loses and the record is untouched', async () => {
    const { name } = await freshMaster();
    const first = await start(name, 0, 'probe-a', T0);
    const second = await start(name, 0, 'probe-b', T0 + 1);
    expect(second).toEqual({ won: false, reason: 'epoch-moved', record: first.record });
  });

  it('a caller that saw the new epoch is refused while the lease is held', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);
    const result = await start(name, 1, 'probe-b', T0 + LEASE_MS); // leaseExpiresAt is not yet < now
    expect(result).toMatchObject({ won: false, reason: 'in-progress', record: { epoch: 1, failover: { leader: 'probe-a' } } });
  });

  it('exactly one of 10 concurrent racers wins', async () => {
    const { name } = await freshMaster();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => start(name, 0, `probe-${i}`, T0 + i)));
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.won).map((r) => r.won === false && r.reason)).toEqual(Array(9).fill('epoch-moved'));
    const record = await store.getMaster(name);
    expect(record?.epoch).toBe(1);
    expect(record?.failover).toEqual(winners[0]?.record.failover);
  });

  it('after the lease expires, another voter wins epoch + 1 only once the block window has passed', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);

    const leaseOver = T0 + LEASE_MS + 1;
    expect(await start(name, 1, 'probe-b', leaseOver)).toMatchObject({ won: false, reason: 'blocked' });
    expect(await start(name, 1, 'probe-b', T0 + BLOCK_MS)).toMatchObject({ won: false, reason: 'blocked' });

    const result = await start(name, 1, 'probe-b', T0 + BLOCK_MS + 1);
    expect(result).toMatchObject({
      won: true,
      record: { epoch: 2, lastFailoverStartedAt: T0 + BLOCK_MS + 1, failover: { epoch: 2, execution: `${name}-2`, leader: 'probe-b' } },
    });
  });

  it('a lease longer than the block window keeps others out until it expires', async () => {
    const { name } = await freshMaster();
    const expectedMaster = { host: '10.0.0.1', port: 6379 };
    await store.tryStartFailover(name, { expectedMaster, expectedEpoch: 0, leader: 'a', now: T0, leaseMs: 10_000, blockMs: 1_000 });
    const args = { expectedMaster, expectedEpoch: 1, leader: 'b', leaseMs: 10_000, blockMs: 1_000 };
    expect(await store.tryStartFailover(name, { ...args, now: T0 + 10_000 })).toMatchObject({ won: false, reason: 'in-progress' });
    expect(await store.tryStartFailover(name, { ...args, now: T0 + 10_001 })).toMatchObject({ won: true, record: { epoch: 2 } });
  });

  it('refuses a master that moved: a voter with a stale record never fails over the new master', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'a', T0);
    await store.completeFailover(name, { epoch: 1, newMaster: { host: '10.0.0.9', port: 6379 }, now: T0 + 1 });
    const stale = await start(name, 1, 'b', T0 + BLOCK_MS + 1);
    expect(stale).toMatchObject({ won: false, reason: 'master-moved', record: { host: '10.0.0.9', epoch: 1 } });
  });

  it('takes over exactly the lease of a dead failover, and nothing else', async () => {
    const { name } = await freshMaster();
    const expectedMaster = { host: '10.0.0.1', port: 6379 };
    // A lease far longer than the block: only a take-over can end it early.
    await store.tryStartFailover(name, { expectedMaster, expectedEpoch: 0, leader: 'a', now: T0, leaseMs: 10 * BLOCK_MS, blockMs: BLOCK_MS });
    const args = { expectedMaster, expectedEpoch: 1, leader: 'b', leaseMs: LEASE_MS, blockMs: BLOCK_MS };
    expect(await store.tryStartFailover(name, { ...args, now: T0 + BLOCK_MS + 1 })).toMatchObject({ won: false, reason: 'in-progress' });
    // Epoch 1's workflow is known to be gone: its lease, and only its lease, can be taken over.
    expect(await store.tryStartFailover(name, { ...args, now: T0 + BLOCK_MS + 1, takeOverEpoch: 7 })).toMatchObject({ won: false, reason: 'in-progress' });
    expect(await store.tryStartFailover(name, { ...args, now: T0 + 1, takeOverEpoch: 1 })).toMatchObject({ won: false, reason: 'blocked' });
    expect(await store.tryStartFailover(name, { ...args, now: T0 + BLOCK_MS + 1, takeOverEpoch: 1 })).toMatchObject({ won: true, record: { epoch: 2 } });
    // Taking over never skips the 2 × failover-timeout block of the attempt it replaces.
    await store.completeFailover(name, { epoch: 2, newMaster: { host: '10.0.0.1', port: 6379 }, now: T0 + BLOCK_MS + 2 });
    expect(await store.tryStartFailover(name, { ...args, expectedEpoch: 2, now: T0 + BLOCK_MS + 3, takeOverEpoch: 2 })).toMatchObject({
      won: false,
      reason: 'blocked',
    });
  });

  it('refuses with a clear error when the master has no record', async () => {
    await expect(start('never-ensured', 0, 'probe-a', T0)).rejects.toThrow(/no record for master never-ensured/);
  });
});

describe('DynamoDbStore: completeFailover', () => {
  const newMaster = { host: '10.0.0.3', port: 6381 };

  it('switches the address, clears the lease, keeps the block, and is idempotent', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);
    const done = await store.completeFailover(name, { epoch: 1, newMaster, now: T0 + 30_000 });
    expect(done).toEqual<MasterRecord>({
      name,
      ...newMaster,
      epoch: 1,
      failover: null,
      lastFailoverStartedAt: T0,
      switchedAt: T0 + 30_000,
      promoted: null,
      pause: null,
    });
    expect(await store.getMaster(name)).toEqual(done);

    // A retried last step: same answer, nothing rewritten.
    expect(await store.completeFailover(name, { epoch: 1, newMaster, now: T0 + 40_000 })).toEqual(done);
  });

  it('refuses a stale epoch', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);
    await store.abortFailover(name, { epoch: 1 });
    await start(name, 1, 'probe-b', T0 + BLOCK_MS + 1); // epoch 2 holds the record now

    const stale = store.completeFailover(name, { epoch: 1, newMaster, now: T0 + BLOCK_MS + 2 });
    await expect(stale).rejects.toThrow(StaleEpochError);
    await expect(store.completeFailover(name, { epoch: 1, newMaster, now: T0 })).rejects.toThrow(
      /epoch 1: the record is at epoch 2 with failover epoch 2 in progress/,
    );
    expect(await store.getMaster(name)).toMatchObject({ host: '10.0.0.1', port: 6379, epoch: 2, failover: { epoch: 2 } });
  });

  it('refuses when the failover of that epoch was aborted', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);
    await store.abortFailover(name, { epoch: 1 });
    await expect(store.completeFailover(name, { epoch: 1, newMaster, now: T0 + 1 })).rejects.toThrow(StaleEpochError);
  });
});

describe('DynamoDbStore: recordPromotion', () => {
  it('remembers the promoted replica for the epoch that holds the lease, keeps it past the lease, clears it on completion', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'a', T0);
    const promoted = { host: '10.0.0.3', port: 6379 };
    const runId = 'f'.repeat(40);
    const recorded = await store.recordPromotion(name, { epoch: 1, promoted, runId });
    expect(recorded.promoted).toEqual({ epoch: 1, ...promoted, runId, confirmedAt: null });
    // Until WaitPromotion confirms it, clients are given the failed master; from then on, the promoted replica.
    expect(masterForClients(recorded)).toEqual({ host: recorded.host, port: recorded.port });
    const confirmed = await store.recordPromotion(name, { epoch: 1, promoted, runId, confirmedAt: T0 + 5 });
    expect(confirmed.promoted).toEqual({ epoch: 1, ...promoted, runId, confirmedAt: T0 + 5 });
    expect(masterForClients(confirmed)).toEqual(promoted);
    await expect(store.recordPromotion(name, { epoch: 7, promoted, runId })).rejects.toThrow(StaleEpochError);
    // The leader of epoch 1 dies; epoch 2 still sees what epoch 1 promoted, and which server it was.
    const next = await start(name, 1, 'b', T0 + BLOCK_MS + LEASE_MS);
    expect(next.won && next.record.promoted).toEqual({ epoch: 1, ...promoted, runId, confirmedAt: T0 + 5 });
    // A confirmation of another epoch's promotion is not this failover's: the failed master's address still.
    expect(next.won && masterForClients(next.record)).toEqual({ host: recorded.host, port: recorded.port });
    const done = await store.completeFailover(name, { epoch: 2, newMaster: promoted, now: T0 + BLOCK_MS + LEASE_MS + 1 });
    expect(done.promoted).toBeNull();
  });
});

describe('DynamoDbStore: abortFailover', () => {
  it('clears the lease, keeps lastFailoverStartedAt (the block), and is idempotent', async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);
    const aborted = await store.abortFailover(name, { epoch: 1 });
    expect(aborted).toMatchObject({ epoch: 1, failover: null, lastFailoverStartedAt: T0, host: '10.0.0.1', switchedAt: null });
    expect(await store.abortFailover(name, { epoch: 1 })).toEqual(aborted);

    // No lease, but the block still applies.
    expect(await start(name, 1, 'probe-b', T0 + 1)).toMatchObject({ won: false, reason: 'blocked' });
    expect(await start(name, 1, 'probe-b', T0 + BLOCK_MS + 1)).toMatchObject({ won: true, record: { epoch: 2 } });
  });

  it("leaves a later epoch's lease alone", async () => {
    const { name } = await freshMaster();
    await start(name, 0, 'probe-a', T0);
    await store.abortFailover(name, { epoch: 1 });
    await start(name, 1, 'probe-b', T0 + BLOCK_MS + 1);
    expect(await store.abortFailover(name, { epoch: 1 })).toMatchObject({ epoch: 2, failover: { epoch: 2, leader: 'probe-b' } });
  });
});

function sortBy<T>(items: T[], key: (item: T) => string | number): T[] {
  return [...items].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

describe('DynamoDbStore: voter sessions (one voter, many Lambda invocations)', () => {
  const claim = (voter: string, expectedGeneration: number | null, holder: string, now = T0) =>
    store.claimSession(voter, { expectedGeneration, holder, now, deadline: now + 120_000 });
  const snapshot = (master: string): WatchSnapshot[] => [
    {
      master,
      record: { host: '10.0.0.1', port: 6379 },
      instances: [
        {
          host: '10.0.0.1',
          port: 6379,
          watch: {
            lastAcceptableReplyAt: T0,
            pendingPingSince: null,
            linkDown: false,
            runId: 'r1',
            rebootSince: null,
            reportedRole: 'master',
            roleSince: T0,
            sdownSince: null,
          },
          wrongMasterSince: null,
          lastRepairAt: 0,
          scriptKillSent: false,
        },
      ],
      voting: { votedSdownSince: null, lastVoteAt: 0, odown: false },
      election: { lastAttempt: null, blockedUntil: 0 },
      notices: { fenceWarned: ['10.0.0.1:6379'], reported: [['10.0.0.9:6379', 'cannot resolve']] },
    },
  ];

  it('the first claim creates generation 1; each next one takes the generation it read, once', async () => {
    expect(await store.getSession('az-a')).toBeNull();
    const first = await claim('az-a', null, 'req-1');
    expect(first).toEqual({
      voter: 'az-a',
      generation: 1,
      holder: 'req-1',
      claimedAt: T0,
      deadline: T0 + 120_000,
      released: null,
      snapshot: null,
      snapshotGeneration: null,
      snapshotAt: null,
    });
    expect(await claim('az-a', null, 'req-dup')).toBeNull();
    const second = await claim('az-a', 1, 'req-2', T0 + 60_000);
    expect(second).toMatchObject({ generation: 2, holder: 'req-2', claimedAt: T0 + 60_000 });
    // A start that read generation 1 too lost to req-2.
    expect(await claim('az-a', 1, 'req-late', T0 + 60_001)).toBeNull();
    expect(await store.getSession('az-a')).toMatchObject({ generation: 2, holder: 'req-2' });
  });

  it('keeps the snapshot a holder leaves, and says when it released the voter', async () => {
    await claim('az-b', null, 'req-1');
    expect(await store.saveSnapshot('az-b', { generation: 1, snapshot: snapshot('m'), now: T0 + 100, release: false })).toBe(true);
    expect(await store.getSession('az-b')).toMatchObject({ released: null, snapshotGeneration: 1, snapshotAt: T0 + 100, snapshot: snapshot('m') });
    await claim('az-b', 1, 'req-2', T0 + 60_000);
    expect(await store.saveSnapshot('az-b', { generation: 1, snapshot: snapshot('m'), now: T0 + 60_200, release: true })).toBe(true);
    expect(await store.getSession('az-b')).toMatchObject({ generation: 2, holder: 'req-2', released: 1, snapshotGeneration: 1, snapshotAt: T0 + 60_200 });
  });

  it("never lets an invocation that lost the voter overwrite its successor's snapshot", async () => {
    await claim('az-c', null, 'req-1');
    await claim('az-c', 1, 'req-2', T0 + 60_000);
    expect(await store.saveSnapshot('az-c', { generation: 2, snapshot: snapshot('new'), now: T0 + 61_000, release: false })).toBe(true);
    expect(await store.saveSnapshot('az-c', { generation: 1, snapshot: snapshot('old'), now: T0 + 61_500, release: true })).toBe(false);
    expect(await store.getSession('az-c')).toMatchObject({ snapshotGeneration: 2, released: null, snapshot: snapshot('new') });
  });

  it('reads the session without its snapshot when asked: a poll for the generation', async () => {
    await claim('az-d', null, 'req-1');
    await store.saveSnapshot('az-d', { generation: 1, snapshot: snapshot('m'), now: T0 + 100, release: true });
    expect(await store.getSession('az-d', { snapshot: false })).toEqual({
      voter: 'az-d',
      generation: 1,
      holder: 'req-1',
      claimedAt: T0,
      deadline: T0 + 120_000,
      released: 1,
      snapshot: null,
      snapshotGeneration: 1,
      snapshotAt: T0 + 100,
    });
    expect((await store.getSession('az-d'))?.snapshot).toEqual(snapshot('m'));
  });

  it('refuses to save for a voter nobody claimed', async () => {
    expect(await store.saveSnapshot('az-none', { generation: 1, snapshot: [], now: T0, release: true })).toBe(false);
    expect(await store.getSession('az-none')).toBeNull();
  });
});

describe('DynamoDbStore: maintenance pause', () => {
  const pause = { since: T0, until: T0 + 60_000, reason: 'kernel upgrade', by: 'manual' };
  const voterStart = (name: string, now: number) =>
    store.tryStartFailover(name, {
      expectedMaster: { host: '10.0.0.1', port: 6379 },
      expectedEpoch: 0,
      leader: 'a',
      now,
      leaseMs: LEASE_MS,
      blockMs: BLOCK_MS,
      respectPause: true,
    });

  it("refuses a voter's start while in force, lets a person's through, and not after it ran out", async () => {
    const { name } = await freshMaster();
    expect((await store.setPause(name, pause)).pause).toEqual(pause);
    expect(await voterStart(name, T0 + 1)).toMatchObject({ won: false, reason: 'paused' });
    expect(await voterStart(name, T0 + 60_001)).toMatchObject({ won: true, record: { epoch: 1, pause } });
    const other = (await freshMaster()).name;
    await store.setPause(other, pause);
    const manual = await store.tryStartFailover(other, {
      expectedMaster: { host: '10.0.0.1', port: 6379 },
      expectedEpoch: 0,
      leader: 'manual',
      now: T0 + 1,
      leaseMs: LEASE_MS,
      blockMs: 0,
    });
    expect(manual).toMatchObject({ won: true });
  });

  it('clears only the pause named by its start, once', async () => {
    const { name } = await freshMaster();
    await store.setPause(name, pause);
    expect(await store.clearPause(name, { since: T0 - 1 })).toMatchObject({ cleared: null, record: { pause } });
    expect(await store.clearPause(name, { since: T0 })).toMatchObject({ cleared: pause, record: { pause: null } });
    expect(await store.clearPause(name, { since: T0 })).toMatchObject({ cleared: null, record: { pause: null } });
    await store.setPause(name, pause);
    expect(await store.clearPause(name)).toMatchObject({ cleared: pause });
    expect((await store.getMaster(name))!.pause).toBeNull();
  });
});
