/** The DNS endpoints of the RedisFailover construct (lib/dns-endpoints.ts), on the synthesized template. */
import { Duration } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import { RedisFailoverStack } from '../../lib/failover-stack.ts';
import type { DnsEndpointsProps } from '../../lib/dns-endpoints.ts';
import type { RedisMasterProps } from '../../lib/masters.ts';
import { STEP_ACCESS, STEP_KEYS } from '../../lib/steps.ts';
import { Synthesized, testApp } from './support.ts';

const existingVpc = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
};
const MASTERS: RedisMasterProps[] = [
  { name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 },
  { name: 'Sessions', host: '10.20.2.10', port: 6379, quorum: 2 },
];

function synth(dnsEndpoints: DnsEndpointsProps | ((stack: RedisFailoverStack) => DnsEndpointsProps), masters = MASTERS) {
  const app = testApp();
  let stack: RedisFailoverStack;
  if (typeof dnsEndpoints === 'function') {
    // A zone of the user's own stack: built in the stack being made, so made in two steps.
    const host = new RedisFailoverStack(app, 'Host', { existingVpc, config: { masters } });
    stack = new RedisFailoverStack(app, 'Test', { existingVpc, config: { masters }, failover: { dnsEndpoints: dnsEndpoints(host) } });
  } else {
    stack = new RedisFailoverStack(app, 'Test', { existingVpc, config: { masters }, failover: { dnsEndpoints } });
  }
  return { s: new Synthesized(stack), f: stack.failover };
}

const refusal = (dnsEndpoints: DnsEndpointsProps, masters = MASTERS) => {
  try {
    synth(dnsEndpoints, masters);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('dnsEndpoints', () => {
  it('creates a private hosted zone in the VPC, kept when the stack is deleted (the records in it are not the stack’s)', () => {
    const { s } = synth({});
    const zones = s.ofType('AWS::Route53::HostedZone');
    expect(zones).toHaveLength(1);
    const [, zone] = zones[0]!;
    expect(zone.Properties).toMatchObject({ Name: 'redis.internal.', VPCs: [{ VPCId: existingVpc.vpcId }] });
    expect(zone.DeletionPolicy).toBe('Retain');
    // The functions write the records: none is in the template.
    expect(s.ofType('AWS::Route53::RecordSet')).toEqual([]);
  });

  it('lets WaitPromotion, SwitchMaster and the probes change the group records only, in that zone only, and read it', () => {
    const { s, f } = synth({ ttl: Duration.seconds(3) });
    const zoneArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':route53:::hostedzone/', { Ref: s.idOf(f.dnsEndpoints!.zone) }]] };
    const writers = [...f.probeFunctions, ...STEP_KEYS.filter((step) => STEP_ACCESS[step].dns).map((step) => f.stepFunctions[step])];
    expect(writers).toHaveLength(5);
    for (const fn of writers) {
      const id = s.idOf(fn);
      const role = s.roleOf(id);
      const change = s.statementsOf(role).filter((st) => st.Action === 'route53:ChangeResourceRecordSets');
      expect(change).toEqual([
        {
          Effect: 'Allow',
          Action: 'route53:ChangeResourceRecordSets',
          Resource: zoneArn,
          Condition: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [
                'cache.redis.internal',
                'sessions.redis.internal',
                'cache-ro.redis.internal',
                'sessions-ro.redis.internal',
              ],
              'route53:ChangeResourceRecordSetsRecordTypes': ['A', 'AAAA', 'CNAME'],
            },
          },
        },
      ]);
      expect(s.resourcesFor(role, 'route53:ListResourceRecordSets')).toEqual([zoneArn]);
      const env = (s.props(id).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        ENDPOINT_ZONE_ID: { Ref: s.idOf(f.dnsEndpoints!.zone) },
        ENDPOINT_ZONE_NAME: 'redis.internal',
        ENDPOINT_TTL_SECONDS: '3',
        ENDPOINT_READER: 'true',
        ENDPOINT_CHECK_SECONDS: '30',
      });
    }
    for (const step of STEP_KEYS.filter((k) => !STEP_ACCESS[k].dns)) {
      expect(
        s.actionsOf(s.roleOf(s.idOf(f.stepFunctions[step]))).filter((a) => a.startsWith('route53:')),
        step,
      ).toEqual([]);
    }
    expect(s.actionsOf(s.roleOf(s.idOf(f.requestFailoverFunction))).filter((a) => a.startsWith('route53:'))).toEqual([]);
  });

  it('says the names in the outputs', () => {
    const { s } = synth({ reader: false });
    expect(s.json.Outputs?.PrimaryEndpoints?.Value).toBe('cache=cache.redis.internal Sessions=sessions.redis.internal');
    expect(s.json.Outputs?.ReaderEndpoints).toBeUndefined();
  });

  it('uses an existing zone, given as a construct or by id and name, without creating one', () => {
    const byId = synth({ zoneId: 'Z0123456789ABC', zoneName: 'corp.internal' });
    expect(byId.s.ofType('AWS::Route53::HostedZone')).toEqual([]);
    expect(JSON.stringify(byId.s.resourcesFor(byId.s.roleOf(byId.s.idOf(byId.f.probeFunctions[0]!)), 'route53:ListResourceRecordSets'))).toContain(
      'hostedzone/Z0123456789ABC',
    );
    const given = synth((host) => ({
      zone: route53.PrivateHostedZone.fromHostedZoneAttributes(host, 'Corp', { hostedZoneId: 'Z0FROMAZONE', zoneName: 'corp.internal' }),
    }));
    expect((given.s.props(given.s.idOf(given.f.probeFunctions[0]!)).Environment as { Variables: Record<string, unknown> }).Variables.ENDPOINT_ZONE_NAME).toBe(
      'corp.internal',
    );
  });

  it('refuses, in one line naming the prop, what cannot make a record', () => {
    expect(refusal({}, [{ name: 'my_master', host: '10.20.1.10', port: 6379, quorum: 2 }])).toBe(
      'RedisFailover Test/Failover: masters[0].name: "my_master" cannot name a DNS record (dnsEndpoints): use 1 to 60 of A-Z a-z 0-9 -, not starting or ending with -',
    );
    expect(refusal({ zoneId: 'Z0123' })).toBe('RedisFailover Test/Failover: dnsEndpoints.zoneId: needs zoneName, the name of that zone');
    expect(refusal({ ttl: Duration.millis(1500) })).toBe(
      'RedisFailover Test/Failover: dnsEndpoints.ttl: must be a whole number of seconds up to a day (got 1 second 500 millis)',
    );
    expect(refusal({ zoneName: 'not a domain' })).toBe(
      'RedisFailover Test/Failover: dnsEndpoints.zoneName: must be a domain name such as redis.internal (got "not a domain")',
    );
  });
});
