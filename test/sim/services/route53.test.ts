import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { Resolver } from 'node:dns/promises';
import { describe, expect, it } from 'vitest';
import { Route53Records } from '../../../lambdas/adapters/route53-records.ts';
import { startDnsServer, type DnsServer } from '../../../sim/services/dns-server.ts';
import { parseXml, Route53StandIn } from '../../../sim/services/route53.ts';
import { standInLifecycle } from '../../support/stand-ins.ts';
import { waitFor } from '../../../lambdas/core/wait.ts';

const ZONE = { id: 'Z0SIMULATED000000001', name: 'redis.internal' };
const lifecycle = standInLifecycle();

async function standIn(ratePerSecond = 100) {
  return lifecycle.start(Route53StandIn.start({ zones: [ZONE], ratePerSecond }));
}

function resolverOf(dns: DnsServer): Resolver {
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([dns.address]);
  return resolver;
}

describe('Route53StandIn with the Route 53 client', () => {
  it('upserts, lists and deletes record sets, and answers GetChange', async () => {
    const r53 = await standIn();
    const client = lifecycle.client(Route53Client, r53.url);
    const change = await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: `/hostedzone/${ZONE.id}`,
        ChangeBatch: {
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'mymaster.redis.internal', Type: 'A', TTL: 5, ResourceRecords: [{ Value: '10.0.0.1' }] } }],
        },
      }),
    );
    expect(change.ChangeInfo?.Status).toBe('PENDING');
    expect((await client.send(new GetChangeCommand({ Id: change.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('INSYNC');
    const listed = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE.id, StartRecordName: 'mymaster.redis.internal' }));
    expect(listed.ResourceRecordSets).toEqual([{ Name: 'mymaster.redis.internal.', Type: 'A', TTL: 5, ResourceRecords: [{ Value: '10.0.0.1' }] }]);
    expect(r53.lookup('MyMaster.redis.internal.', 'A')?.values).toEqual(['10.0.0.1']);
  });

  it("refuses what Route 53 refuses, with Route 53's error names, and applies a batch all or nothing", async () => {
    const r53 = await standIn();
    const client = lifecycle.client(Route53Client, r53.url);
    const upsert = (Name: string, Type: 'A' | 'CNAME', Value: string) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: { Name, Type, TTL: 5, ResourceRecords: [{ Value }] },
    });
    const send = (HostedZoneId: string, ...Changes: ReturnType<typeof upsert>[]) =>
      client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId, ChangeBatch: { Changes } }));
    await expect(send('ZNOPE', upsert('a.redis.internal', 'A', '10.0.0.1'))).rejects.toMatchObject({ name: 'NoSuchHostedZone' });
    await expect(send(ZONE.id, upsert('a.other.internal', 'A', '10.0.0.1'))).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('not permitted in zone'),
    });
    await expect(send(ZONE.id, upsert('a.redis.internal', 'A', 'redis-1'))).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('IllegalIPv4Address'),
    });
    await send(ZONE.id, upsert('a.redis.internal', 'A', '10.0.0.1'));
    // The first change is fine, the second conflicts: neither is applied.
    await expect(send(ZONE.id, upsert('b.redis.internal', 'A', '10.0.0.2'), upsert('a.redis.internal', 'CNAME', 'redis-1.internal'))).rejects.toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('conflicts'),
    });
    expect(r53.lookup('b.redis.internal', 'A')).toBeUndefined();
    expect(r53.lookup('a.redis.internal', 'A')?.values).toEqual(['10.0.0.1']);
  });

  it('throttles beyond its rate, as the Route 53 API does (five requests a second per account)', async () => {
    const r53 = await standIn(5);
    const client = lifecycle.client(Route53Client, r53.url);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ZONE.id }))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.name)).toEqual([
      'Throttling',
      'Throttling',
      'Throttling',
    ]);
  });

  it('parses the XML the client sends, entities included, and refuses a malformed document', () => {
    expect(parseXml('<?xml version="1.0"?><A xmlns="x"><B>a &amp; b</B><C/></A>')).toMatchObject({
      name: 'A',
      children: [{ name: 'B', text: 'a & b' }, { name: 'C' }],
    });
    expect(() => parseXml('<A><B></A>')).toThrow('Invalid XML');
  });
});

describe('Route53Records (the adapter the functions use)', () => {
  it('writes and reads back a record, and replaces a record of another type under the same name', async () => {
    const r53 = await standIn();
    const records = new Route53Records({ client: lifecycle.client(Route53Client, r53.url), zoneId: ZONE.id });
    await records.write({ name: 'mymaster.redis.internal', type: 'CNAME', ttlSeconds: 5, values: ['redis-1.redis.internal'] });
    await records.write({ name: 'mymaster.redis.internal', type: 'A', ttlSeconds: 5, values: ['10.0.0.2'] });
    expect(await records.read('mymaster.redis.internal.')).toEqual([{ name: 'mymaster.redis.internal', type: 'A', ttlSeconds: 5, values: ['10.0.0.2'] }]);
    // A name sorting right after it is not read as it.
    await records.write({ name: 'mymaster-ro.redis.internal', type: 'A', ttlSeconds: 5, values: ['10.0.0.3', '10.0.0.4'] });
    expect(await records.read('mymaster.redis.internal')).toHaveLength(1);
    expect(await records.read('nothing.redis.internal')).toEqual([]);
  });
});

describe('the DNS stand-in (the VPC resolver)', () => {
  it('answers A records and CNAMEs inside the zones, NXDOMAIN in a zone, REFUSED outside', async () => {
    const r53 = await standIn();
    const dns = await lifecycle.start(startDnsServer({ route53: r53, cache: false }));
    r53.put({ name: 'mymaster.redis.internal', type: 'A', ttlSeconds: 5, values: ['10.0.0.2'] });
    r53.put({ name: 'mymaster-ro.redis.internal', type: 'A', ttlSeconds: 5, values: ['10.0.0.3', '10.0.0.4'] });
    r53.put({ name: 'alias.redis.internal', type: 'CNAME', ttlSeconds: 5, values: ['mymaster.redis.internal'] });
    const resolver = resolverOf(dns);
    expect(await resolver.resolve4('mymaster.redis.internal', { ttl: true })).toEqual([{ address: '10.0.0.2', ttl: 5 }]);
    expect((await resolver.resolve4('mymaster-ro.redis.internal')).sort()).toEqual(['10.0.0.3', '10.0.0.4']);
    expect(await resolver.resolve4('alias.redis.internal')).toEqual(['10.0.0.2']);
    await expect(resolver.resolve4('nothing.redis.internal')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('caches an answer for its TTL, as the VPC resolver does: a changed record reaches a client once that expires', async () => {
    const r53 = await standIn();
    const dns = await lifecycle.start(startDnsServer({ route53: r53 }));
    r53.put({ name: 'mymaster.redis.internal', type: 'A', ttlSeconds: 1, values: ['10.0.0.1'] });
    const resolver = resolverOf(dns);
    expect(await resolver.resolve4('mymaster.redis.internal')).toEqual(['10.0.0.1']);
    const changedAt = Date.now();
    r53.put({ name: 'mymaster.redis.internal', type: 'A', ttlSeconds: 1, values: ['10.0.0.2'] });
    expect(await resolver.resolve4('mymaster.redis.internal')).toEqual(['10.0.0.1']);
    await waitFor(async () => (await resolver.resolve4('mymaster.redis.internal'))[0] === '10.0.0.2', { timeoutMs: 3000, what: 'the new address' });
    expect(Date.now() - changedAt).toBeLessThan(2000);
    expect(dns.queries.some((q) => q.cached)).toBe(true);
  });
});
