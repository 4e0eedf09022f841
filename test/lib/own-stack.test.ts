/** RedisFailover in a stack of the user's: what a CDK engineer passes in and gets out. */
import { type App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { RedisFailover, type RedisFailoverProps } from '../../lib/index.ts';
import { literalNames, Synthesized, testApp } from './support.ts';

const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const MASTER = { name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 };

function inStack(stack: Stack, id = 'Failover', extra: Partial<RedisFailoverProps> = {}): RedisFailover {
  const vpc =
    (stack.node.tryFindChild('Vpc') as ec2.IVpc | undefined) ??
    ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ZONES,
      privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'],
      privateSubnetRouteTableIds: ['rtb-0aaa', 'rtb-0bbb', 'rtb-0ccc'],
    });
  return new RedisFailover(stack, id, { vpc, masters: [MASTER], ...extra });
}

describe('RedisFailover in your own stack', () => {
  it('is IConnectable: your Redis security group lets it in with connections.allowFrom', () => {
    const stack = new Stack(testApp(), 'App');
    const failover = inStack(stack);
    const redisGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Redis', 'sg-0redis0000000000');
    redisGroup.connections.allowFrom(failover, ec2.Port.tcp(6379), 'redis-failover');
    const s = new Synthesized(stack);
    expect(s.ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({
        GroupId: 'sg-0redis0000000000',
        FromPort: 6379,
        ToPort: 6379,
        SourceSecurityGroupId: { 'Fn::GetAtt': [s.idOf(failover.securityGroup), 'GroupId'] },
      }),
    ]);
  });

  it('takes your security group for its functions, and makes none of its own', () => {
    const stack = new Stack(testApp(), 'App');
    const group = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Mine', 'sg-0mine00000000000');
    const failover = inStack(stack, 'Failover', { securityGroup: group });
    const s = new Synthesized(stack);
    expect(s.ofType('AWS::EC2::SecurityGroup')).toEqual([]);
    for (const fn of [...failover.probeFunctions, ...Object.values(failover.stepFunctions), failover.requestFailoverFunction]) {
      expect((s.props(s.idOf(fn)).VpcConfig as { SecurityGroupIds: unknown[] }).SecurityGroupIds).toEqual(['sg-0mine00000000000']);
    }
    expect(failover.connections.securityGroups).toEqual([group]);
  });

  it('publishes on your event bus: the archive and the +switch-master rule are made on it; eventBusName beside it is refused', () => {
    const stack = new Stack(testApp(), 'App');
    const bus = events.EventBus.fromEventBusName(stack, 'Bus', 'platform-events');
    const failover = inStack(stack, 'Failover', { eventBus: bus });
    const s = new Synthesized(stack);
    expect(s.ofType('AWS::Events::EventBus')).toEqual([]);
    expect(JSON.stringify(s.props(s.idOf(failover.archive)).SourceArn)).toContain('event-bus/platform-events');
    expect(s.props(s.idOf(failover.switchMasterRule)).EventBusName).toBe('platform-events');
    const environment = (fn: lambda.Function) => (s.props(s.idOf(fn)).Environment as { Variables: Record<string, unknown> }).Variables;
    for (const fn of [...failover.probeFunctions, failover.stepFunctions.announce]) expect(environment(fn).EVENT_BUS_NAME).toBe('platform-events');
    expect(() =>
      inStack(new Stack(testApp(), 'Other'), 'Failover', { eventBus: events.EventBus.fromEventBusName(new Stack(), 'B', 'x'), eventBusName: 'mine' }),
    ).toThrow('RedisFailover Other/Failover: eventBusName: names the bus the construct makes: leave it out with eventBus');
  });

  it('encrypts the table, the bus and its archive, every log group and the topic with your key, and lets the functions and the services use it', () => {
    const stack = new Stack(testApp(), 'App', { env: { region: 'eu-west-1', account: '111122223333' } });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const failover = inStack(stack, 'Failover', { encryptionKey: key });
    const s = new Synthesized(stack);
    const keyArn = { 'Fn::GetAtt': [s.idOf(key), 'Arn'] };
    expect(s.props(s.idOf(failover.table)).SSESpecification).toEqual({ KMSMasterKeyId: keyArn, SSEEnabled: true, SSEType: 'KMS' });
    expect(s.props(s.idOf(failover.eventBus)).KmsKeyIdentifier).toEqual(keyArn);
    expect(s.props(s.idOf(failover.archive)).KmsKeyIdentifier).toEqual(keyArn);
    expect(s.props(s.idOf(failover.switchMasterTopic)).KmsMasterKeyId).toEqual(keyArn);
    const logGroups = s.ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBe(1 + failover.probeFunctions.length + Object.keys(failover.stepFunctions).length + 1);
    for (const [, group] of logGroups) expect(group.Properties?.KmsKeyId).toEqual(keyArn);
    const principals = JSON.stringify((s.props(s.idOf(key)).KeyPolicy as { Statement: unknown[] }).Statement);
    for (const service of ['logs.eu-west-1.amazonaws.com', 'events.amazonaws.com']) expect(principals).toContain(service);
    // Every function that touches the table may use the key; the probes and the request among them.
    for (const fn of [...failover.probeFunctions, failover.requestFailoverFunction, failover.stepFunctions.switchMaster]) {
      expect(s.actionsOf(s.roleOf(s.idOf(fn)))).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
    }
  });

  it('keeps every log group by default, and deletes them with logRemovalPolicy DESTROY', () => {
    const keptStack = new Stack(testApp(), 'Kept');
    inStack(keptStack);
    const kept = new Synthesized(keptStack);
    for (const [, group] of kept.ofType('AWS::Logs::LogGroup')) expect(group.DeletionPolicy).toBe('Retain');
    const goneStack = new Stack(testApp(), 'Gone');
    inStack(goneStack, 'Failover', { logRemovalPolicy: RemovalPolicy.DESTROY });
    const gone = new Synthesized(goneStack);
    for (const [, group] of gone.ofType('AWS::Logs::LogGroup')) expect(group.DeletionPolicy).toBe('Delete');
  });

  it('fixes no physical name: two constructs in one stack, and two stacks in one app, synthesize side by side', () => {
    const app: App = testApp();
    const one = new Stack(app, 'One');
    inStack(one, 'Cache');
    inStack(one, 'Sessions');
    const two = new Stack(app, 'Two');
    inStack(two, 'Cache');
    const names = [one, two].flatMap((stack) => literalNames(new Synthesized(stack).json.Resources));
    // The buses must be named (CloudFormation requires it): each after its path, so all differ.
    expect(names.filter((n) => !n.startsWith('AWS::Events::EventBus '))).toEqual([]);
    expect(new Set(names).size).toBe(3);
  });

  it('gives you rules on +switch-master and on any Sentinel event, on its bus', () => {
    const stack = new Stack(testApp(), 'App');
    const failover = inStack(stack);
    const repoint = new lambda.Function(stack, 'Repoint', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const switched = failover.onSwitchMaster('RepointClients', { target: new targets.LambdaFunction(repoint) });
    const odown = failover.onSentinelEvent('OnOdown', '+odown');
    const s = new Synthesized(stack);
    expect(s.props(s.idOf(switched))).toMatchObject({
      EventBusName: { Ref: s.idOf(failover.eventBus) },
      EventPattern: { source: ['io.github.redis-failover'], 'detail-type': ['+switch-master'] },
      Targets: [{ Arn: { 'Fn::GetAtt': [s.idOf(repoint), 'Arn'] } }],
    });
    expect(s.props(s.idOf(odown)).EventPattern).toEqual({ source: ['io.github.redis-failover'], 'detail-type': ['+odown'] });
  });
});
