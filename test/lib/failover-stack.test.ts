/** The deployable stack: the demo VPC `npx cdk synth` builds with no arguments, an existing VPC imported by attributes. */
import { describe, expect, it } from 'vitest';
import { readDeployConfig, EXAMPLE_CONFIG_PATH } from '../../lib/config-file.ts';
import { RedisFailoverStack, type ExistingVpcProps } from '../../lib/failover-stack.ts';
import { Synthesized, testApp } from './support.ts';

const existingVpc: ExistingVpcProps = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
};
const masters = [{ name: 'mymaster', host: '10.20.1.10', port: 6379, quorum: 2 }];

describe('with no arguments: the example config in a demo VPC', () => {
  const app = testApp();
  const stack = new RedisFailoverStack(app, 'RedisFailover');
  const s = new Synthesized(stack);

  it('deploys examples/config.json', () => {
    expect(stack.failover.config.masters.map((m) => m.name)).toEqual(readDeployConfig(EXAMPLE_CONFIG_PATH).masters.map((m) => m.name));
    expect(stack.failover.config.probes).toBe(3);
  });

  it('builds a VPC of three isolated private subnets, one per zone picked by Fn::GetAZs, with no NAT and no internet gateway', () => {
    const subnets = s.ofType('AWS::EC2::Subnet');
    expect(subnets.map(([, r]) => r.Properties?.AvailabilityZone)).toEqual([0, 1, 2].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
    for (const [, subnet] of subnets) expect(subnet.Properties?.MapPublicIpOnLaunch).toBe(false);
    expect(s.ofType('AWS::EC2::NatGateway')).toEqual([]);
    expect(s.ofType('AWS::EC2::InternetGateway')).toEqual([]);
    expect(stack.failover.voterIds).toHaveLength(3);
  });

  it('reaches the AWS APIs through endpoints: three interface endpoints and the DynamoDB gateway', () => {
    const endpoints = s.ofType('AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties?.VpcEndpointType);
    expect(endpoints.sort()).toEqual(['Gateway', 'Interface', 'Interface', 'Interface']);
  });

  it('needs no lookup and no AWS account: environment-agnostic, nothing missing from the context', () => {
    const assembly = app.synth();
    expect(assembly.manifest.missing).toBeUndefined();
    expect(assembly.getStackByName('RedisFailover').environment).toMatchObject({ account: 'unknown-account', region: 'unknown-region' });
  });

  it('has as many zones as the config has probes', () => {
    const two = new RedisFailoverStack(testApp(), 'Two', { config: { probes: 2, masters } });
    expect(new Synthesized(two).ofType('AWS::EC2::Subnet')).toHaveLength(2);
    expect(two.failover.probeFunctions).toHaveLength(2);
  });
});

describe('in an existing VPC', () => {
  it('imports it by its attributes: one probe per subnet, voters named after the zones, no VPC created', () => {
    const stack = new RedisFailoverStack(testApp(), 'Existing', { existingVpc, config: { masters } });
    const s = new Synthesized(stack);
    expect(s.ofType('AWS::EC2::VPC')).toEqual([]);
    expect(s.ofType('AWS::EC2::Subnet')).toEqual([]);
    expect(stack.failover.voterIds).toEqual(['eu-west-1a', 'eu-west-1b']);
    expect(stack.failover.probeFunctions.map((fn) => (s.props(s.idOf(fn)).VpcConfig as { SubnetIds: unknown }).SubnetIds)).toEqual([
      ['subnet-0aaa'],
      ['subnet-0bbb'],
    ]);
  });

  const refused = (vpc: Partial<ExistingVpcProps>, probes?: number): string => {
    try {
      new RedisFailoverStack(testApp(), 'Existing', { existingVpc: { ...existingVpc, ...vpc }, config: { ...(probes !== undefined && { probes }), masters } });
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('refuses inconsistent attributes, naming the prop', () => {
    const at = 'RedisFailoverStack Existing: ';
    expect(refused({ privateSubnetIds: [] })).toBe(`${at}existingVpc.privateSubnetIds: must name at least one subnet`);
    expect(refused({ availabilityZones: ['eu-west-1a'] })).toBe(`${at}existingVpc.availabilityZones: must name the zone of each subnet (2 subnets, 1 zones)`);
    expect(refused({ availabilityZones: ['eu-west-1a', 'eu-west-1a'] })).toBe(
      `${at}existingVpc.availabilityZones: one subnet per zone: each subnet is one voter`,
    );
    expect(refused({ privateSubnetRouteTableIds: ['rtb-1'] })).toBe(
      `${at}existingVpc.privateSubnetRouteTableIds: must name the route table of each subnet (2 subnets, 1 route tables)`,
    );
    expect(refused({}, 3)).toBe(`${at}config.probes: is 3 but 2 subnets were given: one probe runs per subnet`);
  });
});
