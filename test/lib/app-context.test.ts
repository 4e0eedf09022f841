/** `npx cdk synth|deploy -c key=value`: the CDK app's command line, read into the stack's props. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';

import { stackPropsFromContext } from '../../lib/app-context.ts';
import { RedisFailoverStack } from '../../lib/failover-stack.ts';
import { Synthesized, testApp } from './support.ts';
import { ConfigError, ContextError } from '../../lambdas/core/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'app-context-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const masters = [{ name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 }];
writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify({ masters }));

// As an App's node: it can list its keys, so an unknown one is refused.
const context = (values: Record<string, unknown>) => ({ tryGetContext: (key: string) => values[key], getAllContext: () => values });
const IMPORT = {
  config: 'cluster.json',
  vpcId: 'vpc-0abc',
  subnetIds: 'subnet-0a,subnet-0b,subnet-0c',
  availabilityZones: 'eu-west-1a, eu-west-1b, eu-west-1c',
  vpcCidr: '10.20.0.0/16',
};

function refusal(values: Record<string, unknown>): string {
  try {
    stackPropsFromContext(context(values), dir);
  } catch (error) {
    expect(error).toBeInstanceOf(ContextError);
    return (error as Error).message;
  }
  throw new Error('accepted');
}

describe('stackPropsFromContext', () => {
  it('turns the DNS endpoints on from -c dnsZone, in a new zone or an existing one by id, with a TTL', () => {
    expect(stackPropsFromContext(context({ dnsZone: 'redis.internal' }), dir).failover).toEqual({ dnsEndpoints: { zoneName: 'redis.internal' } });
    const props = stackPropsFromContext(context({ dnsZone: 'redis.internal', dnsZoneId: 'Z0123456789ABC', dnsTtl: '2' }), dir);
    expect(props.failover?.dnsEndpoints).toMatchObject({ zoneName: 'redis.internal', zoneId: 'Z0123456789ABC' });
    expect(props.failover?.dnsEndpoints?.ttl?.toSeconds()).toBe(2);
    expect(refusal({ dnsTtl: '2' })).toBe("-c dnsTtl: only applies with -c dnsZone (the zone's name)");
    expect(refusal({ dnsZone: 'redis.internal', dnsZoneId: 'zone-1' })).toBe('-c dnsZoneId: "zone-1" is not a hosted zone id (Z…)');
    expect(refusal({ dnsZone: 'redis.internal', dnsTtl: '1.5' })).toBe('-c dnsTtl: "1.5" is not a whole number of seconds');
  });

  it('with nothing: the example config and the demo VPC', () => {
    const props = stackPropsFromContext(context({}), dir);
    expect(props.existingVpc).toBeUndefined();
    expect(props.config?.masters[0]?.name).toBe('mymaster');
    expect(props.failover).toEqual({});
  });

  it('reads -c config relative to the working directory, and names a file it cannot read', () => {
    expect(stackPropsFromContext(context({ config: 'cluster.json' }), dir).config).toEqual({ masters });
    const missing = path.join(dir, 'nope.json');
    expect(() => stackPropsFromContext(context({ config: 'nope.json' }), dir)).toThrow(
      new ConfigError(`cannot read config file ${missing}: ENOENT (no such file or directory)`),
    );
  });

  it('imports an existing VPC from -c strings', () => {
    const props = stackPropsFromContext(context({ ...IMPORT, tls: 'true', interfaceEndpoints: 'true' }), dir);
    expect(props.existingVpc).toEqual({
      vpcId: 'vpc-0abc',
      vpcCidrBlock: '10.20.0.0/16',
      privateSubnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'],
      availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    });
    expect(props.failover).toEqual({ tls: true, interfaceEndpoints: true, dynamoDbGatewayEndpoint: false });
  });

  it('takes the same keys as JSON from cdk.json (arrays, booleans)', () => {
    const props = stackPropsFromContext(
      context({
        ...IMPORT,
        subnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'],
        availabilityZones: ['a', 'b', 'c'],
        routeTableIds: ['rtb-1', 'rtb-2', 'rtb-3'],
        subnetCidrs: ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24'],
        dynamoDbEndpoint: true,
      }),
      dir,
    );
    expect(props.existingVpc?.privateSubnetRouteTableIds).toEqual(['rtb-1', 'rtb-2', 'rtb-3']);
    expect(props.existingVpc?.privateSubnetIpv4CidrBlocks).toEqual(['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24']);
    expect(props.failover?.dynamoDbGatewayEndpoint).toBe(true);
  });

  it('puts Redis where -c redisCidr says', () => {
    const props = stackPropsFromContext(context({ ...IMPORT, vpcCidr: undefined, redisCidr: '10.30.0.0/24' }), dir);
    const stack = new RedisFailoverStack(testApp(), 'Ctx', props);
    const sg = new Synthesized(stack).props(new Synthesized(stack).idOf(stack.failover.securityGroup));
    expect(JSON.stringify(sg.SecurityGroupEgress)).toContain('10.30.0.0/24');
  });

  it('refuses a bad or incomplete command line, naming the key', () => {
    expect(refusal({ subnetIds: 'subnet-0a' })).toBe('-c subnetIds: only applies with -c vpcId (the demo VPC has its own subnets and endpoints)');
    expect(refusal({ interfaceEndpoints: 'true' })).toBe('-c interfaceEndpoints: only applies with -c vpcId (the demo VPC has its own subnets and endpoints)');
    expect(refusal({ ...IMPORT, vpcId: 'my-vpc' })).toBe('-c vpcId: "my-vpc" is not a VPC id (vpc-…)');
    expect(refusal({ ...IMPORT, subnetIds: undefined })).toBe('-c subnetIds: required with -c vpcId (the private subnets, one per zone, comma-separated)');
    expect(refusal({ ...IMPORT, subnetIds: 'subnet-0a,sn-2' })).toBe('-c subnetIds: "sn-2" is not a subnet id (subnet-…)');
    expect(refusal({ ...IMPORT, availabilityZones: undefined })).toBe('-c availabilityZones: required with -c vpcId (the zone of each subnet, same order)');
    expect(refusal({ ...IMPORT, vpcCidr: undefined })).toBe('-c vpcCidr: required with -c vpcId (or give -c redisCidr)');
    expect(refusal({ ...IMPORT, vpcCidr: '10.20.0.0' })).toBe('-c vpcCidr: "10.20.0.0" is not an IPv4 CIDR block');
    expect(refusal({ ...IMPORT, dynamoDbEndpoint: 'true' })).toBe('-c dynamoDbEndpoint: needs -c routeTableIds (the route table of each subnet)');
    expect(refusal({ ...IMPORT, tls: 'yes' })).toBe('-c tls: must be true or false (got "yes")');
    expect(refusal({ ...IMPORT, redisCidr: 'everywhere' })).toBe('-c redisCidr: "everywhere" is not an IPv4 CIDR block');
    expect(refusal({ ...IMPORT, routeTableIds: 'rtb-1,table-2' })).toBe('-c routeTableIds: "table-2" is not a route table id (rtb-…)');
    expect(refusal({ ...IMPORT, subnetCidrs: '10.0.1.0/24,10.0.2' })).toBe('-c subnetCidrs: "10.0.2" is not an IPv4 CIDR block');
    expect(refusal({ config: 42 })).toBe('-c config: must be a string (got 42)');
  });
});

describe('unknown -c keys', () => {
  it('refuses a key the app does not read, by name, with the closest known key', () => {
    expect(refusal({ vpcid: 'vpc-0abc' })).toBe('unknown context key vpcid (did you mean vpcId?)');
    expect(refusal({ ...IMPORT, subnetId: 'subnet-0a' })).toBe('unknown context key subnetId (did you mean subnetIds?)');
    expect(refusal({ dnsTTL: '5' })).toBe('unknown context key dnsTTL (did you mean dnsTtl?)');
    expect(refusal({ alarmMail: 'oncall@example.com' })).toBe('unknown context key alarmMail (did you mean alarmEmail?)');
    expect(refusal({ configFile: 'cluster.json' })).toBe('unknown context key configFile');
    expect(refusal({ region: 'eu-west-1' })).toBe('unknown context key region');
  });

  it("leaves CDK's own keys alone: cdk.json's feature flags, its settings, cached lookups, the CLI's", () => {
    const cdkJson = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    const cdk = {
      ...cdkJson.context,
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:enable-path-metadata': true,
      'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a'],
      'acknowledged-issue-numbers': [1234],
      'cli-telemetry': false,
      'cdk-migrate': true,
    };
    expect(stackPropsFromContext(context({ ...cdk, config: 'cluster.json' }), dir).config).toEqual({ masters });
  });

  it("reads the keys from a CDK App's context, as bin/app.ts gives it", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], config: path.join(dir, 'cluster.json'), vpcid: 'vpc-0abc' } });
    expect(() => stackPropsFromContext(app.node, dir)).toThrow(new ContextError('unknown context key vpcid (did you mean vpcId?)'));
    const fine = new App({ context: { 'aws:cdk:bundling-stacks': [], config: path.join(dir, 'cluster.json') } });
    expect(stackPropsFromContext(fine.node, dir).config).toEqual({ masters });
  });
});
