import { describe, expect, it } from 'vitest';
import { isDnsLabel, primaryName, primaryRecord, readerName, readerRecord, recordHolds } from '../../lambdas/core/endpoints.ts';

const settings = { zoneName: 'redis.internal.', ttlSeconds: 5, reader: true };

describe('the endpoint records of a master group', () => {
  it('are named <master>.<zone> and <master>-ro.<zone>, in lower case, without the trailing dot', () => {
    expect(primaryName('MyMaster', settings)).toBe('mymaster.redis.internal');
    expect(readerName('mymaster', settings)).toBe('mymaster-ro.redis.internal');
  });

  it('name the master by A, AAAA or CNAME as its configured host is an IPv4 or IPv6 address or a name', () => {
    expect(primaryRecord('m', { host: '10.0.0.1', port: 6379 }, settings)).toEqual({
      name: 'm.redis.internal',
      type: 'A',
      ttlSeconds: 5,
      values: ['10.0.0.1'],
    });
    expect(primaryRecord('m', { host: 'fd00::1', port: 6379 }, settings).type).toBe('AAAA');
    expect(primaryRecord('m', { host: 'redis-1.internal', port: 6379 }, settings)).toMatchObject({ type: 'CNAME', values: ['redis-1.internal'] });
  });

  it('give the reader one A value per serving replica, sorted and once each, or the master when none serves', () => {
    expect(readerRecord('m', ['10.0.0.3', '10.0.0.2', '10.0.0.3'], ['10.0.0.1'], settings)?.values).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(readerRecord('m', [], ['10.0.0.1'], settings)?.values).toEqual(['10.0.0.1']);
    expect(readerRecord('m', [], [], settings)).toBeNull();
  });

  it('hold when DNS has exactly that set: same type, TTL and values in any order and case', () => {
    const wanted = { name: 'm.redis.internal', type: 'A' as const, ttlSeconds: 5, values: ['10.0.0.2', '10.0.0.3'] };
    expect(recordHolds([{ ...wanted, values: ['10.0.0.3', '10.0.0.2'] }], wanted)).toBe(true);
    expect(recordHolds([], wanted)).toBe(false);
    expect(recordHolds([{ ...wanted, ttlSeconds: 300 }], wanted)).toBe(false);
    expect(recordHolds([wanted, { ...wanted, type: 'AAAA', values: ['fd00::1'] }], wanted)).toBe(false);
    const alias = { name: 'm.redis.internal', type: 'CNAME' as const, ttlSeconds: 5, values: ['Redis-1.internal.'] };
    expect(recordHolds([alias], { ...alias, values: ['redis-1.internal'] })).toBe(true);
  });

  it('need master names that are DNS labels', () => {
    for (const name of ['mymaster', 'cache-1', 'A1']) expect(isDnsLabel(name)).toBe(true);
    for (const name of ['-x', 'x-', 'my_master', 'a.b', '']) expect(isDnsLabel(name)).toBe(false);
  });
});
