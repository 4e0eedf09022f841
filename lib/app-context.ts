/**
 * The CDK app's command line: `npx cdk synth|deploy [-c key=value …]`, read into the stack's props.
 * Values from `-c` are strings; the same keys in cdk.json may be JSON booleans and arrays.
 */
import path from 'node:path';
import { EXAMPLE_CONFIG_PATH, readDeployConfig } from './config-file.ts';
import type { RedisFailoverStackProps } from './failover-stack.ts';
import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { DnsEndpointsProps } from './dns-endpoints.ts';
import { ContextError } from '../lambdas/core/errors.ts';
import { refuseUnknownContextKeys, type ContextKey as Key } from './context-keys.ts';

export interface ContextSource {
  tryGetContext(key: string): unknown;
  /**
   * Every key in the context (an App's `node` has it): then a key neither the app nor CDK reads is refused.
   * @default - no such check
   */
  getAllContext?(): Record<string, unknown>;
}

function text(source: ContextSource, key: Key): string | undefined {
  const value = source.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.trim();
  throw new ContextError(`-c ${key}: must be a string (got ${JSON.stringify(value)})`);
}

function list(source: ContextSource, key: Key): string[] | undefined {
  const value = source.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (items === undefined || items.some((item) => typeof item !== 'string'))
    throw new ContextError(`-c ${key}: must be a comma-separated list (got ${JSON.stringify(value)})`);
  return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
}

function flag(source: ContextSource, key: Key): boolean | undefined {
  const value = source.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(`-c ${key}: must be true or false (got ${JSON.stringify(value)})`);
}

function pattern(key: Key, value: string, re: RegExp, what: string): string {
  if (!re.test(value)) throw new ContextError(`-c ${key}: ${JSON.stringify(value)} is not ${what}`);
  return value;
}

/** `-c dnsZone=redis.internal [-c dnsZoneId=Z…] [-c dnsTtl=5]`: the construct's dnsEndpoints. */
function dnsFromContext(source: ContextSource): DnsEndpointsProps | undefined {
  const zoneName = text(source, 'dnsZone');
  const zoneId = text(source, 'dnsZoneId');
  const ttl = text(source, 'dnsTtl');
  if (zoneName === undefined) {
    const stray = zoneId !== undefined ? 'dnsZoneId' : ttl !== undefined ? 'dnsTtl' : undefined;
    if (stray) throw new ContextError(`-c ${stray}: only applies with -c dnsZone (the zone's name)`);
    return undefined;
  }
  const seconds = ttl === undefined ? undefined : Number(pattern('dnsTtl', ttl, /^\d{1,5}$/, 'a whole number of seconds'));
  return {
    zoneName,
    ...(zoneId !== undefined && { zoneId: pattern('dnsZoneId', zoneId, /^Z[0-9A-Z]{1,31}$/, 'a hosted zone id (Z…)') }),
    ...(seconds !== undefined && { ttl: Duration.seconds(seconds) }),
  };
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

/** The stack's props from the context; `cwd` resolves a relative config path. */
export function stackPropsFromContext(source: ContextSource, cwd: string = process.cwd()): RedisFailoverStackProps {
  if (source.getAllContext) refuseUnknownContextKeys(Object.keys(source.getAllContext()));
  const configPath = text(source, 'config');
  const config = readDeployConfig(configPath === undefined ? EXAMPLE_CONFIG_PATH : path.resolve(cwd, configPath));

  const vpcId = text(source, 'vpcId');
  const importOnly: Key[] = ['subnetIds', 'availabilityZones', 'vpcCidr', 'routeTableIds', 'subnetCidrs', 'interfaceEndpoints', 'dynamoDbEndpoint'];
  if (vpcId === undefined) {
    const stray = importOnly.find((key) => source.tryGetContext(key) !== undefined);
    if (stray) throw new ContextError(`-c ${stray}: only applies with -c vpcId (the demo VPC has its own subnets and endpoints)`);
  }
  const redisCidr = text(source, 'redisCidr');
  const tls = flag(source, 'tls');
  const dnsEndpoints = dnsFromContext(source);
  const failover = {
    ...(redisCidr !== undefined && { redisPeer: ec2.Peer.ipv4(pattern('redisCidr', redisCidr, CIDR, 'an IPv4 CIDR block')) }),
    ...(tls !== undefined && { tls }),
    ...(dnsEndpoints && { dnsEndpoints }),
  };
  const alarmTopicArn = text(source, 'alarmTopicArn');
  if (alarmTopicArn !== undefined)
    pattern(
      'alarmTopicArn',
      alarmTopicArn,
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)',
    );
  const alarmEmail = text(source, 'alarmEmail');
  if (alarmEmail !== undefined) pattern('alarmEmail', alarmEmail, /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address');
  const alarms = { ...(alarmTopicArn !== undefined && { alarmTopicArn }), ...(alarmEmail !== undefined && { alarmEmail }) };
  if (vpcId === undefined) return { config, failover, ...alarms };

  pattern('vpcId', vpcId, /^vpc-[0-9a-f]+$/, 'a VPC id (vpc-…)');
  const subnetIds = list(source, 'subnetIds');
  if (!subnetIds || subnetIds.length === 0) throw new ContextError('-c subnetIds: required with -c vpcId (the private subnets, one per zone, comma-separated)');
  for (const id of subnetIds) pattern('subnetIds', id, /^subnet-[0-9a-f]+$/, 'a subnet id (subnet-…)');
  const zones = list(source, 'availabilityZones');
  if (!zones) throw new ContextError('-c availabilityZones: required with -c vpcId (the zone of each subnet, same order)');
  const vpcCidr = text(source, 'vpcCidr');
  if (vpcCidr === undefined && redisCidr === undefined) throw new ContextError('-c vpcCidr: required with -c vpcId (or give -c redisCidr)');
  const routeTableIds = list(source, 'routeTableIds');
  for (const id of routeTableIds ?? []) pattern('routeTableIds', id, /^rtb-[0-9a-f]+$/, 'a route table id (rtb-…)');
  const subnetCidrs = list(source, 'subnetCidrs');
  for (const cidr of subnetCidrs ?? []) pattern('subnetCidrs', cidr, CIDR, 'an IPv4 CIDR block');
  const dynamoDbEndpoint = flag(source, 'dynamoDbEndpoint') ?? false;
  if (dynamoDbEndpoint && !routeTableIds) throw new ContextError('-c dynamoDbEndpoint: needs -c routeTableIds (the route table of each subnet)');
  return {
    config,
    ...alarms,
    existingVpc: {
      vpcId,
      ...(vpcCidr !== undefined && { vpcCidrBlock: pattern('vpcCidr', vpcCidr, CIDR, 'an IPv4 CIDR block') }),
      privateSubnetIds: subnetIds,
      availabilityZones: zones,
      ...(routeTableIds && { privateSubnetRouteTableIds: routeTableIds }),
      ...(subnetCidrs && { privateSubnetIpv4CidrBlocks: subnetCidrs }),
    },
    failover: { ...failover, interfaceEndpoints: flag(source, 'interfaceEndpoints') ?? false, dynamoDbGatewayEndpoint: dynamoDbEndpoint },
  };
}
