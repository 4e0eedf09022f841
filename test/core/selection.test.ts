import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../lambdas/core/info.ts';
import {
  compareCandidates,
  INFO_VALIDITY_MS,
  LINK_DOWN_DOWN_AFTER_FACTOR,
  maxLinkDownMs,
  PING_VALIDITY_MS,
  selectReplica,
  type SelectionContext,
  rejectionsText,
  selectionContext,
} from '../../lambdas/core/selection.ts';
import type { ReplicaObservation, ReplicationInfo } from '../../lambdas/core/types.ts';
import { zoneOf, zoneReason, type ZonePreference } from '../../lambdas/core/zones.ts';

function info(name: string, patch: Partial<ReplicationInfo> = {}): ReplicationInfo {
  const text = readFileSync(new URL(`../fixtures/info/${name}`, import.meta.url), 'utf8');
  return { ...parseInfo(text), ...patch };
}

/** A fresh, reachable replica observation on 127.0.0.1:`port`. */
function obs(port: number, i: ReplicationInfo | null, patch: Partial<ReplicaObservation> = {}): ReplicaObservation {
  return { address: { host: '127.0.0.1', port }, reachable: true, pingAgeMs: 100, infoAgeMs: 100, info: i, ...patch };
}

const NOW = 1_800_000_000_000;
/** Master not known down, down-after 30 s: link-down limit 300 s. */
const ctx: SelectionContext = { now: NOW, masterDownSince: null, downAfterMs: 30_000 };

const up = (patch: Partial<ReplicationInfo> = {}): ReplicationInfo => info('replica-link-up.txt', patch);
const ports = (list: readonly ReplicaObservation[]): number[] => list.map((o) => o.address.port);

describe('constants', () => {
  it('match Sentinel', () => {
    expect(PING_VALIDITY_MS).toBe(5000);
    expect(INFO_VALIDITY_MS).toBe(5000);
    expect(LINK_DOWN_DOWN_AFTER_FACTOR).toBe(10);
  });
});

describe('selectReplica: ordering', () => {
  it('no observations: nothing chosen', () => {
    expect(selectReplica([], ctx)).toEqual({ chosen: null, ranked: [], rejected: [] });
  });

  it('priorities 100, 10, 0: chooses 10, ranks 100 next, rejects 0', () => {
    const p100 = obs(1, up({ replicaPriority: 100, replOffset: 999 }));
    const p10 = obs(2, up({ replicaPriority: 10, replOffset: 1 }));
    const p0 = obs(3, info('replica-priority-0.txt', { replOffset: 5000 }));
    const r = selectReplica([p100, p10, p0], ctx);
    expect(r.chosen).toBe(p10);
    expect(ports(r.ranked)).toEqual([2, 1]);
    expect(r.rejected).toEqual([{ address: { host: '127.0.0.1', port: 3 }, reason: 'priority-zero', detail: 'replica-priority 0' }]);
  });

  it('equal priorities: larger offset wins', () => {
    const r = selectReplica([obs(1, up({ replOffset: 10 })), obs(2, up({ replOffset: 30 })), obs(3, up({ replOffset: 20 }))], ctx);
    expect(r.chosen?.address.port).toBe(2);
    expect(ports(r.ranked)).toEqual([2, 3, 1]);
    expect(r.rejected).toEqual([]);
  });

  it('equal priorities and offsets: smaller run_id wins, a missing run_id sorts last', () => {
    const r = selectReplica([obs(1, up({ runId: null })), obs(2, up({ runId: 'bbbb' })), obs(3, up({ runId: 'aaab' })), obs(4, up({ runId: 'aaaa' }))], ctx);
    expect(ports(r.ranked)).toEqual([4, 3, 2, 1]);
    expect(r.chosen?.info?.runId).toBe('aaaa');
  });

  it('run_id comparison ignores case, like strcasecmp', () => {
    const r = selectReplica([obs(1, up({ runId: 'B' })), obs(2, up({ runId: 'a' }))], ctx);
    expect(r.chosen?.address.port).toBe(2);
  });

  it('priority beats offset, offset beats run_id', () => {
    const r = selectReplica(
      [
        obs(1, up({ replicaPriority: 50, replOffset: 1, runId: 'a' })),
        obs(2, up({ replicaPriority: 10, replOffset: 0, runId: 'z' })),
        obs(3, up({ replicaPriority: 50, replOffset: 2, runId: 'z' })),
      ],
      ctx,
    );
    expect(ports(r.ranked)).toEqual([2, 3, 1]);
  });

  it('full ties keep input order', () => {
    const r = selectReplica([obs(7, up()), obs(5, up()), obs(6, up())], ctx);
    expect(ports(r.ranked)).toEqual([7, 5, 6]);
  });

  it('does not modify its input', () => {
    const input = [obs(1, up({ replOffset: 1 })), obs(2, up({ replOffset: 2 }))];
    selectReplica(input, ctx);
    expect(ports(input)).toEqual([1, 2]);
  });
});

describe('compareCandidates', () => {
  it('returns the sign of each tie-break', () => {
    expect(compareCandidates(obs(1, up({ replicaPriority: 1 })), obs(2, up({ replicaPriority: 2 })))).toBeLessThan(0);
    expect(compareCandidates(obs(1, up({ replicaPriority: 2 })), obs(2, up({ replicaPriority: 1 })))).toBeGreaterThan(0);
    expect(compareCandidates(obs(1, up({ replOffset: 9 })), obs(2, up({ replOffset: 8 })))).toBeLessThan(0);
    expect(compareCandidates(obs(1, up({ runId: 'b' })), obs(2, up({ runId: 'a' })))).toBeGreaterThan(0);
    expect(compareCandidates(obs(1, up({ runId: null })), obs(2, up({ runId: 'z' })))).toBeGreaterThan(0);
    expect(compareCandidates(obs(1, up({ runId: 'z' })), obs(2, up({ runId: null })))).toBeLessThan(0);
    expect(compareCandidates(obs(1, up({ runId: null })), obs(2, up({ runId: null })))).toBe(0);
    expect(compareCandidates(obs(1, up()), obs(2, up()))).toBe(0);
  });

  it('puts an observation without INFO last', () => {
    expect(compareCandidates(obs(1, null), obs(2, up()))).toBeGreaterThan(0);
    expect(compareCandidates(obs(1, up()), obs(2, null))).toBeLessThan(0);
  });
});

describe('selectReplica: exclusions', () => {
  const only = (o: ReplicaObservation, c: SelectionContext = ctx) => {
    const r = selectReplica([o], c);
    return { chosen: r.chosen, reasons: r.rejected.map((x) => [x.reason, x.detail]) };
  };

  it('unreachable', () => {
    expect(only(obs(1, null, { reachable: false }))).toEqual({ chosen: null, reasons: [['unreachable', 'no acceptable PING reply']] });
  });

  it('unreachable wins over every later reason', () => {
    expect(only(obs(1, info('master-no-replicas.txt'), { reachable: false, pingAgeMs: 60_000, infoAgeMs: 60_000 })).reasons).toEqual([
      ['unreachable', 'no acceptable PING reply'],
    ]);
  });

  it('PING reply exactly 5000 ms old is still acceptable; 5001 ms is not', () => {
    expect(only(obs(1, up(), { pingAgeMs: 5000 })).reasons).toEqual([]);
    expect(only(obs(1, up(), { pingAgeMs: 5001 })).reasons).toEqual([['ping-stale', 'last PING reply 5001 ms ago, limit 5000 ms']]);
  });

  it('INFO exactly 5000 ms old is still acceptable; 5001 ms is not', () => {
    expect(only(obs(1, up(), { infoAgeMs: 5000 })).reasons).toEqual([]);
    expect(only(obs(1, up(), { infoAgeMs: 5001 })).reasons).toEqual([['info-stale', 'INFO 5001 ms old, limit 5000 ms']]);
  });

  it('reachable but no INFO counts as stale INFO', () => {
    expect(only(obs(1, null)).reasons).toEqual([['info-stale', 'no INFO reply']]);
  });

  it('a master is not a replica', () => {
    expect(only(obs(1, info('master-with-2-replicas.txt'))).reasons).toEqual([['not-a-replica', 'role master']]);
    expect(only(obs(1, up({ role: 'unknown' }))).reasons).toEqual([['not-a-replica', 'role unknown']]);
  });

  it('a replica loading its dataset (real fixture, link also down) is rejected as loading', () => {
    expect(only(obs(1, info('replica-loading.txt'))).reasons).toEqual([['loading', 'loading its dataset']]);
  });

  it('replica-priority 0 (real fixture)', () => {
    expect(only(obs(1, info('replica-priority-0.txt'))).reasons).toEqual([['priority-zero', 'replica-priority 0']]);
  });

  it('link down 4 s (real fixture) is fine under a 300 s limit', () => {
    const o = obs(1, info('replica-link-down.txt'));
    expect(selectReplica([o], ctx).chosen).toBe(o);
  });

  it('link down 4 s is too long when down-after is 100 ms and the master is not down', () => {
    const c = { now: NOW, masterDownSince: null, downAfterMs: 100 };
    expect(maxLinkDownMs(c)).toBe(1000);
    expect(only(obs(1, info('replica-link-down.txt')), c).reasons).toEqual([['link-down-too-long', 'master link down for 4 s, limit 1 s']]);
  });

  it('the time the master has been down extends the limit; equal to the limit is accepted', () => {
    const atLimit = { now: NOW, masterDownSince: NOW - 3000, downAfterMs: 100 };
    expect(maxLinkDownMs(atLimit)).toBe(4000);
    expect(only(obs(1, info('replica-link-down.txt')), atLimit).reasons).toEqual([]);
    const justBelow = { now: NOW, masterDownSince: NOW - 2999, downAfterMs: 100 };
    expect(only(obs(1, info('replica-link-down.txt')), justBelow).reasons).toEqual([['link-down-too-long', 'master link down for 4 s, limit 3.999 s']]);
  });

  it("Sentinel's rule with round numbers: 400 s down vs (10 s + 10 × 30 s)", () => {
    const c = { now: NOW, masterDownSince: NOW - 10_000, downAfterMs: 30_000 };
    expect(maxLinkDownMs(c)).toBe(310_000);
    expect(only(obs(1, up({ masterLinkUp: false, masterLinkDownSinceSeconds: 400 })), c).reasons).toEqual([
      ['link-down-too-long', 'master link down for 400 s, limit 310 s'],
    ]);
    expect(only(obs(1, up({ masterLinkUp: false, masterLinkDownSinceSeconds: 310 })), c).reasons).toEqual([]);
    expect(only(obs(1, up({ masterLinkUp: false, masterLinkDownSinceSeconds: 311 })), c).reasons).toHaveLength(1);
  });

  it('without masterDownSince the limit is 10 × down-after only', () => {
    expect(only(obs(1, up({ masterLinkUp: false, masterLinkDownSinceSeconds: 300 }))).reasons).toEqual([]);
    expect(only(obs(1, up({ masterLinkUp: false, masterLinkDownSinceSeconds: 301 }))).reasons).toEqual([
      ['link-down-too-long', 'master link down for 301 s, limit 300 s'],
    ]);
  });

  it('a masterDownSince in the future adds nothing', () => {
    expect(maxLinkDownMs({ now: NOW, masterDownSince: NOW + 60_000, downAfterMs: 30_000 })).toBe(300_000);
  });

  it('a replica that never connected (real fixture) is rejected whatever the limit', () => {
    const c = { now: NOW, masterDownSince: NOW - 86_400_000, downAfterMs: 3_600_000 };
    expect(only(obs(1, info('replica-never-connected.txt')), c).reasons).toEqual([
      ['link-down-too-long', 'master link down since it started (never connected), limit 122400 s'],
    ]);
  });

  it('still rejects a never-connected replica after a JSON round trip (Infinity becomes null)', () => {
    const o = JSON.parse(JSON.stringify(obs(1, info('replica-never-connected.txt')))) as ReplicaObservation;
    expect(o.info?.masterLinkDownSinceSeconds).toBeNull();
    expect(only(o).reasons.map(([reason]) => reason)).toEqual(['link-down-too-long']);
  });

  it('a link that is up ignores any down-since value', () => {
    const c = { now: NOW, masterDownSince: null, downAfterMs: 1 };
    expect(only(obs(1, up({ masterLinkDownSinceSeconds: 1000 })), c).reasons).toEqual([]);
  });

  it('lists every rejection in input order with its address, and chooses among the rest', () => {
    const good = obs(23802, info('replica-link-up.txt'));
    const r = selectReplica(
      [
        obs(23810, null, { reachable: false }),
        obs(23811, up(), { pingAgeMs: 7000 }),
        good,
        obs(23812, up(), { infoAgeMs: 9000 }),
        obs(23801, info('master-with-2-replicas.txt')),
        obs(23806, info('replica-loading.txt')),
        obs(23803, info('replica-priority-0.txt')),
        obs(23804, info('replica-never-connected.txt')),
      ],
      ctx,
    );
    expect(r.chosen).toBe(good);
    expect(r.ranked).toEqual([good]);
    expect(r.rejected.map((x) => [x.address.port, x.reason])).toEqual([
      [23810, 'unreachable'],
      [23811, 'ping-stale'],
      [23812, 'info-stale'],
      [23801, 'not-a-replica'],
      [23806, 'loading'],
      [23803, 'priority-zero'],
      [23804, 'link-down-too-long'],
    ]);
    expect(r.rejected[0]?.address).toEqual({ host: '127.0.0.1', port: 23810 });
  });

  it('all rejected: chosen is null', () => {
    const r = selectReplica([obs(1, info('replica-priority-0.txt')), obs(2, null, { reachable: false })], ctx);
    expect(r.chosen).toBeNull();
    expect(r.ranked).toEqual([]);
    expect(r.rejected).toHaveLength(2);
  });
});

describe('the lag gate (maxPromotionLagBytes, beyond Sentinel)', () => {
  const gated: SelectionContext = { ...ctx, maxLagBytes: 1000 };

  it('refuses a replica further behind the most advanced replica than the gate, whatever its priority, naming the gap', () => {
    const result = selectReplica([obs(6380, up({ replicaPriority: 1, replOffset: 5000 })), obs(6381, up({ replicaPriority: 100, replOffset: 9000 }))], gated);
    expect(result.chosen?.address.port).toBe(6381);
    expect(result.rejected).toEqual([
      {
        address: { host: '127.0.0.1', port: 6380 },
        reason: 'lag-too-large',
        detail: 'replication offset 5000 is 4000 bytes behind 9000 (maxPromotionLagBytes 1000)',
      },
    ]);
  });

  it('measures from the master’s last offset when it is ahead of every replica, so none may qualify', () => {
    const result = selectReplica([obs(6380, up({ replOffset: 5000 }))], { ...gated, masterOffset: 7000 });
    expect(result.chosen).toBeNull();
    expect(rejectionsText(result.rejected)).toBe('127.0.0.1:6380 replication offset 5000 is 2000 bytes behind 7000 (maxPromotionLagBytes 1000)');
  });

  it('passes a replica within the gate, and the most advanced one always when the master’s offset is unknown', () => {
    expect(selectReplica([obs(6380, up({ replOffset: 8500 })), obs(6381, up({ replOffset: 9000 }))], gated).ranked.map((o) => o.address.port)).toEqual([
      6381, 6380,
    ]);
    expect(selectReplica([obs(6380, up({ replOffset: 9000 }))], gated).chosen?.address.port).toBe(6380);
  });

  it('is off unless configured: Sentinel’s rules alone', () => {
    expect(selectReplica([obs(6380, up({ replOffset: 0 }))], { ...ctx, masterOffset: 1_000_000 }).chosen?.address.port).toBe(6380);
  });

  it('comes from the failover’s input: the settings’ gate and the leader’s last look at the master', () => {
    const input = {
      master: { name: 'mymaster', host: '127.0.0.1', port: 6379 },
      masterDownSince: 5,
      settings: { downAfterMs: 1000, failoverTimeoutMs: 1, parallelSyncs: 1, waitStartSeconds: 0, maxPromotionLagBytes: 10 },
      masterOffset: 77,
    };
    expect(selectionContext(input, NOW)).toEqual({ now: NOW, masterDownSince: 5, downAfterMs: 1000, maxLagBytes: 10, masterOffset: 77 });
    expect(selectionContext({ ...input, settings: { ...input.settings, maxPromotionLagBytes: undefined } }, NOW)).not.toHaveProperty('maxLagBytes');
  });
});

describe('zone preference (beyond Sentinel)', () => {
  const oldMaster = { host: '10.0.1.10', port: 6379 };
  const zones = { '10.0.1.0/24': 'a', '10.0.2.0/24': 'b', '10.0.3.0/24': 'c', '10.0.3.7:6380': 'b' };
  const at = (host: string, patch: Partial<ReplicationInfo> = {}): ReplicaObservation => ({ ...obs(6380, up(patch)), address: { host, port: 6380 } });
  const order = (preference: Partial<ZonePreference>, list: readonly ReplicaObservation[]): string[] =>
    selectReplica(list, { ...ctx, zones: { preference: { zones, preferredZones: [], avoidSameZoneAsOldMaster: false, ...preference }, oldMaster } }).ranked.map(
      (o) => o.address.host,
    );

  it('finds a server by host:port, then host, then the narrowest CIDR block', () => {
    expect(zoneOf({ host: '10.0.3.7', port: 6380 }, zones)).toBe('b');
    expect(zoneOf({ host: '10.0.3.7', port: 6381 }, zones)).toBe('c');
    expect(zoneOf({ host: '10.0.3.7', port: 6381 }, { ...zones, '10.0.3.0/28': 'd' })).toBe('d');
    expect(zoneOf({ host: '192.168.0.1', port: 6379 }, zones)).toBeNull();
    expect(zoneOf({ host: 'redis-1.internal', port: 6379 }, { 'redis-1.internal': 'a' })).toBe('a');
  });

  it('orders by the preferred zones after replica-priority and before the offset', () => {
    const list = [at('10.0.1.5', { replOffset: 900 }), at('10.0.2.5', { replOffset: 100 }), at('10.0.3.5', { replOffset: 500 })];
    expect(order({ preferredZones: ['c', 'b'] }, list)).toEqual(['10.0.3.5', '10.0.2.5', '10.0.1.5']);
    expect(order({ preferredZones: ['c', 'b'] }, [at('10.0.1.5', { replicaPriority: 1 }), ...list.slice(1)])[0]).toBe('10.0.1.5');
    expect(order({}, list)).toEqual(['10.0.1.5', '10.0.3.5', '10.0.2.5']);
  });

  it('puts a replica in the old master’s zone after the others, then the offset decides', () => {
    const list = [at('10.0.1.5', { replOffset: 900 }), at('10.0.2.5', { replOffset: 100 }), at('10.0.3.5', { replOffset: 500 })];
    expect(order({ avoidSameZoneAsOldMaster: true }, list)).toEqual(['10.0.3.5', '10.0.2.5', '10.0.1.5']);
    expect(order({ avoidSameZoneAsOldMaster: true, preferredZones: ['a', 'b'] }, list)).toEqual(['10.0.2.5', '10.0.3.5', '10.0.1.5']);
  });

  it('says the zone chosen and why, for +selected-slave', () => {
    const preference = { zones, preferredZones: ['c'], avoidSameZoneAsOldMaster: true };
    expect(zoneReason({ host: '10.0.3.5', port: 6380 }, oldMaster, preference)).toBe("zone c (preferred #1, not the old master's a)");
    expect(zoneReason({ host: '10.0.1.5', port: 6380 }, oldMaster, preference)).toBe("zone a (the old master's zone too)");
    expect(zoneReason({ host: '192.168.0.1', port: 6380 }, oldMaster, preference)).toBe('zone unknown');
  });
});
