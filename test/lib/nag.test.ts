/** cdk-nag AwsSolutions and Serverless on every shape of the stack: no unacknowledged finding, and every acknowledgement specific and justified. */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { RedisFailoverStack, type RedisFailoverStackProps } from '../../lib/failover-stack.ts';
import { runNag, type NagResult } from './support.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis/prod-AbCdEf';
const existingVpc = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  privateSubnetRouteTableIds: ['rtb-0aaa', 'rtb-0bbb', 'rtb-0ccc'],
};
const masters = [
  { name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 },
  { name: 'sessions', host: '10.20.2.10', port: 6380, quorum: 2, auth: { secretArn: SECRET }, knownReplicas: [{ host: '10.20.3.10', port: 6381 }] },
];

const variants: Record<string, () => RedisFailoverStackProps> = {
  'the default stack (demo VPC, example config, endpoints)': () => ({}),
  'an existing VPC, no endpoints, TLS, no secret': () => ({ existingVpc, config: { masters: [masters[0]!] }, failover: { tls: true } }),
  'provisioned concurrency instead of warm-up schedules': () => ({ existingVpc, config: { masters }, failover: { keepWarm: 'provisioned' } }),
  'DNS endpoints in a new private hosted zone': () => ({ existingVpc, config: { masters }, failover: { dnsEndpoints: {} } }),
  // cdk-nag spells a finding's ARN with the literal account and region then (lib/redis-failover.ts pseudoOr).
  'a stack with an account and a region': () => ({ existingVpc, config: { masters }, env: { account: '111122223333', region: 'eu-west-1' } }),
  'an existing VPC with every option': () => ({
    existingVpc,
    config: { masters },
    failover: { interfaceEndpoints: true, dynamoDbGatewayEndpoint: true, stateMachineName: 'redis-failover', tableRemovalPolicy: RemovalPolicy.DESTROY },
  }),
};

function nagOf(make: () => RedisFailoverStackProps): NagResult {
  return runNag((app) => {
    new RedisFailoverStack(app, 'RedisFailover', make());
  });
}

describe('cdk-nag AwsSolutions and Serverless', () => {
  for (const [name, make] of Object.entries(variants)) {
    it(`finds nothing unacknowledged: ${name}`, () => {
      const { findings, acknowledgements } = nagOf(make);
      expect(findings).toEqual([]);
      expect(acknowledgements.length).toBeGreaterThan(0);
    });
  }

  it('finds nothing unacknowledged with customer managed keys (the table, bus, logs and topic; the secrets) and alarm actions', () => {
    const { findings } = runNag((app) => {
      const keys = new Stack(app, 'Keys');
      const topicKey = new kms.Key(keys, 'TopicKey', { enableKeyRotation: true });
      const secretsKey = new kms.Key(keys, 'SecretsKey', { enableKeyRotation: true });
      const dataKey = new kms.Key(keys, 'DataKey', { enableKeyRotation: true });
      const alarms = new sns.Topic(keys, 'AlarmTopic', { enforceSSL: true, masterKey: topicKey });
      new RedisFailoverStack(app, 'RedisFailover', {
        existingVpc,
        config: { masters },
        failover: {
          switchMasterTopicKey: topicKey,
          secretsKeys: [secretsKey],
          alarmActions: [new cloudwatchActions.SnsAction(alarms)],
          encryptionKey: dataKey,
          logRemovalPolicy: RemovalPolicy.DESTROY,
        },
      });
    });
    expect(findings).toEqual([]);
  });

  it('is live: a resource nobody vouched for is reported', () => {
    const { findings } = runNag((app) => {
      const stack = new RedisFailoverStack(app, 'RedisFailover', variants['an existing VPC, no endpoints, TLS, no secret']!());
      new sns.Topic(stack, 'Unvetted');
    });
    expect(findings).toEqual(['AwsSolutions-SNS3 at RedisFailover/Unvetted/Resource']);
  });

  it('reports what the built-in CloudFormation validation finds too, though the rest of the suite skips it', () => {
    expect(process.env.CDK_VALIDATION).toBe('false');
    const { findings } = runNag((app) => {
      const stack = new RedisFailoverStack(app, 'RedisFailover', variants['an existing VPC, no endpoints, TLS, no secret']!());
      new sns.Topic(stack, 'Unvetted', { enforceSSL: true, masterKey: kms.Alias.fromAliasName(stack, 'Key', 'alias/aws/sns'), topicName: 'x'.repeat(300) });
    });
    expect(findings).toEqual(['F3033 at RedisFailover/Unvetted/Resource']);
  });

  it('acknowledges only specific findings (one wildcard each, or the demo VPC flow logs), each with a reason', () => {
    // (aws-cdk-lib records acknowledgements of its own, e.g. CloudFormation-Validate::W3010 for imported zones: not ours.)
    const ours = (result: NagResult) => ({ acknowledgements: result.acknowledgements.filter((a) => a.id.startsWith('AwsSolutions::')) });
    const { acknowledgements } = ours(nagOf(variants['an existing VPC with every option']!));
    const demo = ours(nagOf(variants['the default stack (demo VPC, example config, endpoints)']!));
    for (const ack of [...acknowledgements, ...demo.acknowledgements]) {
      expect(ack.id, ack.path).toMatch(/^AwsSolutions::AwsSolutions-(IAM5\[Resource::.+\]|VPC7)$/);
      expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(60);
    }
    // No AWS managed policy, no outdated runtime, nothing acknowledged wholesale.
    expect([...acknowledgements, ...demo.acknowledgements].filter((a) => /IAM4|L1|IAM5$/.test(a.id))).toEqual([]);
    // Bare '*' only where the service has no resource-level permissions: the ENI actions of VPC functions and the state machine's logging/X-Ray.
    const star = acknowledgements
      .filter((a) => a.id === 'AwsSolutions::AwsSolutions-IAM5[Resource::*]')
      .map((a) => a.path.replace(/^RedisFailover\/Failover\//, ''));
    expect(star.sort()).toEqual(
      [
        'Default/StateMachine/Role',
        ...['Announce', 'AbortFailover', 'SelectSlave', 'SendSlaveofNoOne', 'WaitPromotion', 'ReconfSlave', 'FailoverEnd', 'SwitchMaster'].map(
          (s) => `Default/${s}FunctionRole`,
        ),
        ...[1, 2, 3].map((i) => `Probes/Probe${i}Role`),
        'RequestFailoverRole',
      ].sort(),
    );
    expect(demo.acknowledgements.filter((a) => a.id === 'AwsSolutions::AwsSolutions-VPC7').map((a) => a.path)).toEqual(['RedisFailover/DemoVpc']);
  });
});
