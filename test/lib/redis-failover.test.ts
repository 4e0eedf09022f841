/** The RedisFailover construct in an existing VPC: every item of the deployment, on the synthesized template. */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambdas/adapters/eventbridge-publisher.ts';
import { masterEvent } from '../../lambdas/core/events.ts';
import { EVENT_SOURCE } from '../../lib/event-delivery.ts';
import { RedisFailoverStack, type RedisFailoverStackProps } from '../../lib/failover-stack.ts';
import type { RedisMasterProps } from '../../lib/masters.ts';
import { RedisFailover, type RedisFailoverProps } from '../../lib/redis-failover.ts';
import { STEP_ACCESS, STEP_KEYS, type StepKey } from '../../lib/steps.ts';
import { Synthesized, testApp } from './support.ts';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis/sessions-AbCdEf';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const SUBNETS = ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'];
const ROUTE_TABLES = ['rtb-0aaa', 'rtb-0bbb', 'rtb-0ccc'];
const existingVpc = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  privateSubnetIds: SUBNETS,
  availabilityZones: ZONES,
  privateSubnetRouteTableIds: ROUTE_TABLES,
};
const MASTERS: RedisMasterProps[] = [
  { name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 },
  {
    name: 'sessions',
    host: '10.20.2.10',
    port: 6380,
    quorum: 2,
    downAfterMs: 5000,
    auth: { username: 'failover', secretArn: SECRET },
    knownReplicas: [{ host: '10.20.3.10', port: 6381 }],
  },
];

/** The schedules that start the probes (the others keep the failover's functions warm). */
function probeSchedules(synthesized: Synthesized) {
  return synthesized.ofType('AWS::Scheduler::Schedule').filter(([id]) => id.includes('Probes'));
}

function synth(props: RedisFailoverStackProps = {}): { s: Synthesized; stack: RedisFailoverStack; f: RedisFailover } {
  const stack = new RedisFailoverStack(testApp(), 'Test', { existingVpc, config: { masters: MASTERS }, ...props });
  return { s: new Synthesized(stack), stack, f: stack.failover };
}

const PROBE_ACTIONS_WITHOUT_SECRETS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:UnassignPrivateIpAddresses',
  'events:PutEvents',
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'states:DescribeExecution',
  'states:StartExecution',
  // Active tracing (RedisFailoverProps.tracing, on by default).
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

let s: Synthesized;
let f: RedisFailover;
let probeIds: string[];
let stepIds: Record<StepKey, string>;

beforeAll(() => {
  ({ s, f } = synth({ failover: { interfaceEndpoints: true, dynamoDbGatewayEndpoint: true, tls: true } }));
  probeIds = f.probeFunctions.map((fn) => s.idOf(fn));
  stepIds = Object.fromEntries(STEP_KEYS.map((step) => [step, s.idOf(f.stepFunctions[step])])) as Record<StepKey, string>;
});

const envOf = (id: string) => (s.props(id).Environment as { Variables: Record<string, unknown> }).Variables;

describe('networking', () => {
  it('runs every function in the private subnets with the one security group; each probe in its own subnet', () => {
    const sgId = s.idOf(f.securityGroup);
    expect(s.ofType('AWS::Lambda::Function')).toHaveLength(12);
    for (const id of [...Object.values(stepIds), s.idOf(f.requestFailoverFunction)]) {
      expect(s.props(id).VpcConfig).toEqual({ SubnetIds: SUBNETS, SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] });
    }
    probeIds.forEach((id, i) => {
      expect(s.props(id).VpcConfig).toEqual({ SubnetIds: [SUBNETS[i]], SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] });
    });
  });

  it('lets the functions out only to the Redis ports (in the VPC) and to HTTPS; nothing in', () => {
    const sg = s.props(s.idOf(f.securityGroup));
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(sg.SecurityGroupEgress).toEqual([
      { CidrIp: '10.20.0.0/16', Description: 'Redis on 6379', FromPort: 6379, IpProtocol: 'tcp', ToPort: 6379 },
      { CidrIp: '10.20.0.0/16', Description: 'Redis on 6380', FromPort: 6380, IpProtocol: 'tcp', ToPort: 6380 },
      { CidrIp: '10.20.0.0/16', Description: 'Redis on 6381', FromPort: 6381, IpProtocol: 'tcp', ToPort: 6381 },
      { CidrIp: '0.0.0.0/0', Description: 'AWS APIs over HTTPS', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
    // No other rule anywhere opens the functions' group.
    const sgId = s.idOf(f.securityGroup);
    const rules = [...s.ofType('AWS::EC2::SecurityGroupEgress'), ...s.ofType('AWS::EC2::SecurityGroupIngress')].filter(([, r]) =>
      JSON.stringify(r.Properties?.GroupId).includes(sgId),
    );
    expect(rules).toEqual([]);
  });

  it('takes the Redis ports and where Redis is from props', () => {
    const { s: other, f: custom } = synth({ failover: { redisPorts: [7000], redisPeer: ec2.Peer.ipv4('10.99.0.0/24') } });
    expect(other.props(other.idOf(custom.securityGroup)).SecurityGroupEgress).toEqual([
      { CidrIp: '10.99.0.0/24', Description: 'Redis on 7000', FromPort: 7000, IpProtocol: 'tcp', ToPort: 7000 },
      { CidrIp: '0.0.0.0/0', Description: 'AWS APIs over HTTPS', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
  });

  it('adds interface endpoints for Step Functions, EventBridge and Secrets Manager, reachable from the functions only', () => {
    const endpoints = s.ofType('AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties?.VpcEndpointType === 'Interface');
    const services = endpoints.map(([, r]) => JSON.stringify(r.Properties?.ServiceName));
    expect(services.map((name) => /\.([a-z]+)"\]\]\}$/.exec(name)?.[1]).sort()).toEqual(['events', 'secretsmanager', 'states']);
    const endpointSg = s.ofType('AWS::EC2::SecurityGroup').find(([id]) => id.includes('EndpointSecurityGroup'))!;
    for (const [, endpoint] of endpoints) {
      expect(endpoint.Properties).toMatchObject({
        PrivateDnsEnabled: true,
        SubnetIds: SUBNETS,
        VpcId: existingVpc.vpcId,
        SecurityGroupIds: [{ 'Fn::GetAtt': [endpointSg[0], 'GroupId'] }],
      });
    }
    const ingress = s.ofType('AWS::EC2::SecurityGroupIngress');
    expect(ingress.map(([, r]) => r.Properties)).toEqual([
      {
        GroupId: { 'Fn::GetAtt': [endpointSg[0], 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [s.idOf(f.securityGroup), 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Description: 'HTTPS from the redis-failover functions',
      },
    ]);
  });

  it("adds a DynamoDB gateway endpoint on the subnets' route tables", () => {
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      RouteTableIds: ROUTE_TABLES,
    });
  });

  it('adds no endpoint unless asked (an existing VPC may have its own)', () => {
    const { s: plain } = synth();
    expect(plain.ofType('AWS::EC2::VPCEndpoint')).toEqual([]);
  });
});

describe('probes', () => {
  it('runs one probe per subnet, each a voter named after its zone; two invocations at a time for the handover, each up to two minutes', () => {
    expect(f.voterIds).toEqual(ZONES);
    probeIds.forEach((id, i) => {
      expect(s.props(id)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 120,
        MemorySize: 256,
        ReservedConcurrentExecutions: 2,
      });
      expect(envOf(id)).toEqual({
        PROBE_INTERVAL_MS: '60000',
        VOTER_ID: ZONES[i],
        TABLE_NAME: { Ref: s.idOf(f.table) },
        STATE_MACHINE_ARN: { Ref: s.idOf(f.stateMachine) },
        EVENT_BUS_NAME: { Ref: s.idOf(f.eventBus) },
        REDIS_FAILOVER_CONFIG: expect.any(String),
        REDIS_TLS: 'true',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });
  });

  it('starts each probe from EventBridge Scheduler once a minute; a missed minute is dropped, not retried', () => {
    const schedules = probeSchedules(s);
    expect(schedules).toHaveLength(3);
    const roleId = s.idOf(f.node.findChild('Probes').node.findChild('ScheduleRole'));
    expect(schedules.map(([, r]) => r.Properties)).toEqual(
      probeIds.map((id, i) => ({
        ScheduleExpression: 'rate(1 minute)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Description: `redis-failover voter ${i + 1}: starts its probe every minute`,
        Target: {
          Arn: { 'Fn::GetAtt': [id, 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
        },
      })),
    );
    const invokeConfigs = s.ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    expect(invokeConfigs).toEqual(
      probeIds.map((id) => ({ FunctionName: { Ref: id }, Qualifier: '$LATEST', MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 })),
    );
  });

  it('lets the scheduler invoke the probes and nothing else, for this account only', () => {
    const roleId = s.idOf(f.node.findChild('Probes').node.findChild('ScheduleRole'));
    expect(s.props(roleId).AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ],
    });
    expect(s.actionsOf(roleId)).toEqual(['lambda:InvokeFunction']);
    expect(s.resourcesFor(roleId, 'lambda:InvokeFunction')).toEqual(
      probeIds.flatMap((id) => [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] }]),
    );
  });

  it('gives the probes and the request the config, holding no password, only the secret reference', () => {
    const json = envOf(probeIds[0]!).REDIS_FAILOVER_CONFIG as string;
    expect(JSON.parse(json)).toEqual({ probes: 3, masters: MASTERS });
    for (const id of [...probeIds, s.idOf(f.requestFailoverFunction)]) {
      expect(envOf(id).REDIS_FAILOVER_CONFIG).toBe(json);
      expect(envOf(id).REDIS_TLS).toBe('true');
    }
    expect(JSON.stringify(s.json)).not.toMatch(/"password(Env)?\\?"/);
  });

  it('places servers by their subnet for zone preference: each subnet CIDR given names its zone, what the config maps wins', () => {
    const cidrs = ['10.20.1.0/24', '10.20.2.0/24', '10.20.3.0/24'];
    const masters: RedisMasterProps[] = [
      { name: 'zoned', host: '10.20.1.10', port: 6379, quorum: 2, preferredZones: ['eu-west-1c'], zones: { '10.20.2.0/24': 'elsewhere' } },
      { name: 'plain', host: '10.20.1.11', port: 6379, quorum: 2 },
    ];
    const { s: zoned, f: made } = synth({ existingVpc: { ...existingVpc, privateSubnetIpv4CidrBlocks: cidrs }, config: { masters } });
    const variables = (zoned.props(zoned.idOf(made.probeFunctions[0]!)).Environment as { Variables: Record<string, string> }).Variables;
    const doc = JSON.parse(variables.REDIS_FAILOVER_CONFIG!) as { masters: Array<{ zones?: Record<string, string> }> };
    expect(doc.masters[0]!.zones).toEqual({ '10.20.1.0/24': 'eu-west-1a', '10.20.2.0/24': 'elsewhere', '10.20.3.0/24': 'eu-west-1c' });
    expect(doc.masters[1]!.zones).toBeUndefined();
    expect(() => synth({ existingVpc: { ...existingVpc, privateSubnetIpv4CidrBlocks: cidrs.slice(1) } })).toThrow(
      /existingVpc\.privateSubnetIpv4CidrBlocks: must name the CIDR block of each subnet \(3 subnets, 2 blocks\)/,
    );
  });

  it('scales the probe interval down for the simulation, warning that such a stack cannot be deployed', () => {
    const { s: fast, f: scaled } = synth({ failover: { probeInterval: Duration.seconds(3) } });
    for (const fn of scaled.probeFunctions) {
      const id = fast.idOf(fn);
      expect(fast.props(id)).toMatchObject({ Timeout: 6 });
      expect((fast.props(id).Environment as { Variables: Record<string, unknown> }).Variables.PROBE_INTERVAL_MS).toBe('3000');
    }
    expect(probeSchedules(fast).map(([, r]) => r.Properties?.ScheduleExpression)).toEqual(['rate(3 seconds)', 'rate(3 seconds)', 'rate(3 seconds)']);
    const warnings = Annotations.fromStack(Stack.of(scaled)).findWarning(
      '*',
      Match.stringLikeRegexp('probeInterval is 3 s: EventBridge Scheduler starts functions at most once a minute'),
    );
    expect(warnings).toHaveLength(1);
    const { s: five } = synth({ failover: { probeInterval: Duration.minutes(5) } });
    expect(probeSchedules(five).map(([, r]) => r.Properties?.ScheduleExpression)).toEqual(['rate(5 minutes)', 'rate(5 minutes)', 'rate(5 minutes)']);
  });

  it('sizes the probe from probeMemorySize', () => {
    const { s: other, f: custom } = synth({ failover: { probeMemorySize: 512 } });
    for (const fn of custom.probeFunctions) expect(other.props(other.idOf(fn)).MemorySize).toBe(512);
  });
});

describe('a warm failover chain', () => {
  const warmUps = (synthesized: Synthesized) => synthesized.ofType('AWS::Scheduler::Schedule').filter(([id]) => id.includes('WarmUp'));

  it('by default sends every step function, and the failover request, a warm-up every 5 minutes; ReconfSlave one per container it uses at once', () => {
    const { s: wide, f: failover } = synth({ config: { masters: [MASTERS[0]!, { ...MASTERS[1]!, parallelSyncs: 2 }] } });
    const byTarget = new Map<string, string[]>();
    for (const [, r] of warmUps(wide)) {
      const target = r.Properties!.Target as { Arn: { 'Fn::GetAtt': [string, string] }; Input: string; RetryPolicy: unknown };
      expect(r.Properties!.ScheduleExpression).toBe('rate(5 minutes)');
      expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
      const id = target.Arn['Fn::GetAtt'][0];
      byTarget.set(id, [...(byTarget.get(id) ?? []), target.Input]);
    }
    const stepsOf = (step: StepKey) => byTarget.get(wide.idOf(failover.stepFunctions[step])) ?? [];
    for (const step of STEP_KEYS.filter((k) => k !== 'reconfSlave')) expect(stepsOf(step), step).toEqual([JSON.stringify({ warmup: true })]);
    // parallel-syncs 2 beside the old master's demotion: three at once, each holding its container a moment.
    expect(stepsOf('reconfSlave')).toEqual(Array(3).fill(JSON.stringify({ warmup: true, holdMs: 500 })));
    expect(byTarget.get(wide.idOf(failover.requestFailoverFunction))).toEqual([JSON.stringify({ warmup: true })]);
    expect(byTarget.size).toBe(STEP_KEYS.length + 1);
  });

  it('takes another interval, or none', () => {
    const { s: hourly } = synth({ failover: { warmUpInterval: Duration.minutes(10) } });
    expect(new Set(warmUps(hourly).map(([, r]) => r.Properties!.ScheduleExpression))).toEqual(new Set(['rate(10 minutes)']));
    const { s: cold, f: none } = synth({ failover: { keepWarm: 'none' } });
    expect(warmUps(cold)).toEqual([]);
    expect(none.warmUp).toBeUndefined();
    expect(cold.ofType('AWS::Lambda::Alias')).toEqual([]);
  });

  it('with provisioned concurrency, invokes an alias with that many environments initialized in advance', () => {
    const { s: provisioned } = synth({ failover: { keepWarm: 'provisioned' } });
    expect(warmUps(provisioned)).toEqual([]);
    const aliases = provisioned.ofType('AWS::Lambda::Alias');
    expect(aliases).toHaveLength(STEP_KEYS.length);
    for (const [, alias] of aliases)
      expect(alias.Properties).toMatchObject({ Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: expect.any(Number) } });
    const definition = JSON.stringify(provisioned.ofType('AWS::StepFunctions::StateMachine')[0]![1].Properties!.DefinitionString);
    for (const [id] of aliases) expect(definition).toContain(`{"Ref":"${id}"}`);
  });
});

describe('workflow', () => {
  it('is STANDARD, logs ALL (with execution data) to /aws/vendedlogs/states/…, and is traced with X-Ray', () => {
    const logGroupId = s.idOf(f.stateMachineLogGroup);
    // Named after this stack's own id: a redeploy after a destroy never collides with a retained group.
    expect(s.props(logGroupId)).toEqual({
      LogGroupName: {
        'Fn::Join': [
          '',
          [
            expect.stringMatching(/^\/aws\/vendedlogs\/states\/Test-Failover-[0-9A-F]{8}-$/),
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
          ],
        ],
      },
      RetentionInDays: 30,
    });
    expect(s.json.Resources[logGroupId]!.DeletionPolicy).toBe('Retain');
    expect(s.props(s.idOf(f.stateMachine))).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('gives each step only what it uses: the bus, the table to those that use it, AUTH and TLS to those that connect to Redis', () => {
    for (const step of STEP_KEYS) {
      const variables = envOf(stepIds[step]);
      expect(variables.EVENT_BUS_NAME, step).toEqual({ Ref: s.idOf(f.eventBus) });
      expect(variables.REDIS_FAILOVER_CONFIG, step).toBeUndefined();
      expect(variables.TABLE_NAME, step).toEqual(STEP_ACCESS[step].table.length > 0 ? { Ref: s.idOf(f.table) } : undefined);
      if (STEP_ACCESS[step].redis) {
        expect(variables.REDIS_TLS, step).toBe('true');
        // Only the groups with AUTH: their user and secret.
        expect(JSON.parse(variables.REDIS_AUTH as string), step).toEqual({ sessions: { username: 'failover', secretArn: SECRET } });
      } else {
        expect(variables.REDIS_AUTH, step).toBeUndefined();
        expect(variables.REDIS_TLS, step).toBeUndefined();
      }
    }
  });

  it('takes a state machine name', () => {
    const { s: other, f: named } = synth({ failover: { stateMachineName: 'redis-failover' } });
    expect(other.props(other.idOf(named.stateMachine)).StateMachineName).toBe('redis-failover');
  });
});

describe('events', () => {
  it('publishes to a custom bus named after the construct path (no two stacks collide), archived for replay', () => {
    const busId = s.idOf(f.eventBus);
    expect(s.props(busId).Name).toMatch(/^TestFailoverEvents[0-9A-F]{8}$/);
    expect(s.props(s.idOf(f.archive))).toEqual({
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      Description: 'redis-failover events, for replay',
      EventPattern: { source: ['io.github.redis-failover'] },
      KmsKeyIdentifier: '',
      RetentionDays: 90,
    });
  });

  it('sends +switch-master, and only it, from the bus to an SNS topic', () => {
    const topicId = s.idOf(f.switchMasterTopic);
    expect(s.props(s.idOf(f.switchMasterRule))).toMatchObject({
      EventBusName: { Ref: s.idOf(f.eventBus) },
      EventPattern: { source: ['io.github.redis-failover'], 'detail-type': ['+switch-master'] },
      State: 'ENABLED',
      Targets: [{ Arn: { Ref: topicId }, Id: 'Target0' }],
    });
    const policy = s.ofType('AWS::SNS::TopicPolicy')[0]![1].Properties!;
    expect(policy.Topics).toEqual([{ Ref: topicId }]);
    expect((policy.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' }, Resource: { Ref: topicId } }),
    ]);
  });

  it('matches the source the functions publish with', async () => {
    const eb = mockClient(EventBridgeClient);
    try {
      eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
      await new EventBridgePublisher({ client: new EventBridgeClient({ region: 'eu-west-1' }), busName: 'b' }).publish([
        masterEvent('+sdown', { name: 'm', host: '10.0.0.1', port: 6379 }, { now: new Date() }),
      ]);
      expect(eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries?.[0]?.Source).toBe(EVENT_SOURCE);
    } finally {
      eb.restore();
    }
  });

  it('encrypts the topic with a given key, which EventBridge may use', () => {
    const app = testApp();
    const stack = new Stack(app, 'Keyed');
    const key = new kms.Key(stack, 'Key');
    const failover = new RedisFailover(stack, 'Failover', { ...minimalProps(stack), switchMasterTopicKey: key });
    const keyed = new Synthesized(stack);
    expect(keyed.props(keyed.idOf(failover.switchMasterTopic)).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyed.idOf(key), 'Arn'] });
    expect(JSON.stringify(keyed.props(keyed.idOf(key)).KeyPolicy)).toContain('"Service":"events.amazonaws.com"');
  });
});

describe('table', () => {
  it('uses the store’s keys, on-demand billing, point-in-time recovery, and is retained', () => {
    const id = s.idOf(f.table);
    expect(s.props(id)).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(s.json.Resources[id]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('is deleted with the stack when asked', () => {
    const { s: other, f: custom } = synth({ failover: { tableRemovalPolicy: RemovalPolicy.DESTROY } });
    expect(other.json.Resources[other.idOf(custom.table)]).toMatchObject({ DeletionPolicy: 'Delete' });
  });
});

describe('least privilege', () => {
  const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
  const ENI = [
    'ec2:AssignPrivateIpAddresses',
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:UnassignPrivateIpAddresses',
  ];

  it('gives each probe and the failover request the table actions they call, the state machine, the bus, a log group and exactly the secret named', () => {
    const tableArn = { 'Fn::GetAtt': [s.idOf(f.table), 'Arn'] };
    const request = s.idOf(f.requestFailoverFunction);
    for (const id of [...probeIds, request]) {
      const role = s.roleOf(id);
      // The request function also reads the executions' history (redis-failover history).
      const history = id === request ? ['states:GetExecutionHistory', 'states:ListExecutions'] : [];
      expect(s.actionsOf(role)).toEqual([...PROBE_ACTIONS_WITHOUT_SECRETS, 'secretsmanager:GetSecretValue', ...history].sort());
      if (id === request) {
        expect(s.resourcesFor(role, 'states:ListExecutions')).toEqual([{ Ref: s.idOf(f.stateMachine) }]);
        expect(JSON.stringify(s.resourcesFor(role, 'states:GetExecutionHistory'))).toMatch(/:execution:.*FailoverStateMachine.*:\*"\]\]\}\]$/);
      }
      for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'])
        expect(s.resourcesFor(role, action)).toEqual([tableArn]);
      expect(s.resourcesFor(role, 'events:PutEvents')).toEqual([{ 'Fn::GetAtt': [s.idOf(f.eventBus), 'Arn'] }]);
      expect(s.resourcesFor(role, 'states:StartExecution')).toEqual([{ Ref: s.idOf(f.stateMachine) }]);
      expect(JSON.stringify(s.resourcesFor(role, 'states:DescribeExecution'))).toMatch(/:execution:.*FailoverStateMachine.*:\*"\]\]\}\]$/);
      expect(s.resourcesFor(role, 'secretsmanager:GetSecretValue')).toEqual([SECRET]);
      expect(s.resourcesFor(role, 'logs:PutLogEvents')).toEqual([
        { 'Fn::GetAtt': [(s.props(id).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref, 'Arn'] },
      ]);
      expect(s.resourcesFor(role, 'ec2:CreateNetworkInterface')).toEqual(['*']);
    }
  });

  it('gives each step only what it uses: the bus, its table actions, the secret when it talks to Redis', () => {
    for (const step of STEP_KEYS) {
      const role = s.roleOf(stepIds[step]);
      const expected = [
        ...ENI,
        ...XRAY,
        'events:PutEvents',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        ...STEP_ACCESS[step].table,
        ...(STEP_ACCESS[step].redis ? ['secretsmanager:GetSecretValue'] : []),
      ];
      expect(s.actionsOf(role), step).toEqual(expected.sort());
      if (STEP_ACCESS[step].redis) expect(s.resourcesFor(role, 'secretsmanager:GetSecretValue')).toEqual([SECRET]);
    }
  });

  it('grants no secret when no master names one, and decrypts with the given keys only where secrets are read', () => {
    const { s: open, f: noSecret } = synth({ config: { masters: [MASTERS[0]!] } });
    for (const fn of [...noSecret.probeFunctions, ...Object.values(noSecret.stepFunctions)]) {
      expect(open.actionsOf(open.roleOf(open.idOf(fn)))).not.toContain('secretsmanager:GetSecretValue');
    }
    const app = testApp();
    const stack = new Stack(app, 'Keyed');
    const key = new kms.Key(stack, 'Key');
    const keyed = new RedisFailover(stack, 'Failover', { ...minimalProps(stack), secretsKeys: [key] });
    const k = new Synthesized(stack);
    for (const fn of keyed.probeFunctions) expect(k.resourcesFor(k.roleOf(k.idOf(fn)), 'kms:Decrypt')).toEqual([{ 'Fn::GetAtt': [k.idOf(key), 'Arn'] }]);
    for (const step of STEP_KEYS) {
      const decrypts = k.actionsOf(k.roleOf(k.idOf(keyed.stepFunctions[step]))).includes('kms:Decrypt');
      expect(decrypts, step).toBe(STEP_ACCESS[step].redis);
    }
  });

  it('lets the state machine invoke its eight steps only, and write its logs and traces', () => {
    const role = s.idOf(f.stateMachine.role);
    const invoked = s.resourcesFor(role, 'lambda:InvokeFunction');
    expect(invoked).toHaveLength(16);
    for (const id of Object.values(stepIds)) {
      expect(invoked).toContainEqual({ 'Fn::GetAtt': [id, 'Arn'] });
      expect(invoked).toContainEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] });
    }
    const others = s.actionsOf(role).filter((a) => a !== 'lambda:InvokeFunction');
    expect(
      others.every((a) => a.startsWith('logs:') || a.startsWith('xray:')),
      others.join(),
    ).toBe(true);
  });

  it('never grants a wildcard action', () => {
    const statements = [...s.ofType('AWS::IAM::Role'), ...s.ofType('AWS::IAM::Policy')].flatMap(([id]) =>
      s.ofType('AWS::IAM::Role').some(([roleId]) => roleId === id)
        ? s.statementsOf(id)
        : (s.props(id).PolicyDocument as { Statement: Array<{ Action: string | string[] }> }).Statement,
    );
    const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('attaches no AWS managed policy to any role', () => {
    for (const [, role] of s.ofType('AWS::IAM::Role')) expect(role.Properties?.ManagedPolicyArns).toBeUndefined();
  });
});

describe('operations', () => {
  const alarmOf = (alarm: { node: { defaultChild?: unknown } } & object) => s.props(s.idOf(alarm as never));

  it("alarms on failed and on timed-out executions, and on failovers started and aborted (the functions' own metrics, over every group)", () => {
    for (const [alarm, metric] of [
      [f.alarms.failoverStarted, 'FailoversStarted'],
      [f.alarms.failoversAborted, 'FailoversAborted'],
    ] as const) {
      const props = alarmOf(alarm);
      expect(props).toMatchObject({
        Namespace: 'RedisFailover',
        MetricName: metric,
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(props.Dimensions).toBeUndefined();
    }
    const machine = { Ref: s.idOf(f.stateMachine) };
    for (const [alarm, metric] of [
      [f.alarms.executionsFailed, 'ExecutionsFailed'],
      [f.alarms.executionsTimedOut, 'ExecutionsTimedOut'],
    ] as const) {
      expect(alarmOf(alarm)).toMatchObject({
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: machine }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('traces every function and the state machine by default, and none with tracing: false', () => {
    const functions = s.ofType('AWS::Lambda::Function').filter(([, fn]) => (fn.Properties?.Handler as string | undefined) === 'index.handler');
    expect(functions.length).toBeGreaterThan(10);
    for (const [, fn] of functions) expect(fn.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
    expect(s.props(s.idOf(f.stateMachine)).TracingConfiguration).toEqual({ Enabled: true });
    const { s: quiet, f: untraced } = synth({ failover: { tracing: false } });
    for (const [, fn] of quiet.ofType('AWS::Lambda::Function')) expect(fn.Properties?.TracingConfig).toBeUndefined();
    expect(quiet.props(quiet.idOf(untraced.stateMachine)).TracingConfiguration).toEqual({ Enabled: false });
    for (const fn of untraced.probeFunctions) expect(quiet.actionsOf(quiet.roleOf(quiet.idOf(fn)))).not.toContain('xray:PutTraceSegments');
  });

  it('alarms when any probe fails', () => {
    const alarm = alarmOf(f.alarms.probeErrors);
    expect(alarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const metrics = alarm.Metrics as Array<{ Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: Array<{ Value: unknown }> } } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('p0 + p1 + p2');
    expect(metrics.filter((m) => m.MetricStat).map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Metric.Dimensions[0]!.Value])).toEqual(
      probeIds.map((id) => ['Errors', { Ref: id }]),
    );
  });

  it('sends every alarm to the given actions', () => {
    const app = testApp();
    const stack = new Stack(app, 'Paged');
    const topic = new sns.Topic(stack, 'Pager');
    const paged = new RedisFailover(stack, 'Failover', { ...minimalProps(stack), alarmActions: [new cloudwatchActions.SnsAction(topic)] });
    const p = new Synthesized(stack);
    for (const alarm of Object.values(paged.alarms).flat()) expect(p.props(p.idOf(alarm)).AlarmActions).toEqual([{ Ref: p.idOf(topic) }]);
    for (const alarm of Object.values(f.alarms).flat()) expect(alarmOf(alarm).AlarmActions).toBeUndefined();
  });

  it('puts the state machine ARN, bus name, table name, topic ARN and security group in the outputs', () => {
    expect(s.json.Outputs).toMatchObject({
      StateMachineArn: { Value: { Ref: s.idOf(f.stateMachine) } },
      EventBusName: { Value: { Ref: s.idOf(f.eventBus) } },
      TableName: { Value: { Ref: s.idOf(f.table) } },
      SwitchMasterTopicArn: { Value: { Ref: s.idOf(f.switchMasterTopic) } },
      SecurityGroupId: { Value: { 'Fn::GetAtt': [s.idOf(f.securityGroup), 'GroupId'] } },
      RequestFailoverFunctionName: { Value: { Ref: s.idOf(f.requestFailoverFunction) } },
    });
    expect(Object.keys(s.json.Outputs ?? {}).sort()).toEqual([
      'EventBusName',
      'RequestFailoverFunctionName',
      'SecurityGroupId',
      'StateMachineArn',
      'SwitchMasterTopicArn',
      'TableName',
    ]);
  });
});

/** A VPC imported with three private subnets (zones and route tables known), and one master. */
function minimalProps(stack: Stack): RedisFailoverProps {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: existingVpc.vpcId,
    vpcCidrBlock: existingVpc.vpcCidrBlock,
    availabilityZones: ZONES,
    privateSubnetIds: SUBNETS,
    privateSubnetRouteTableIds: ROUTE_TABLES,
  });
  return { vpc, masters: [MASTERS[1]!] };
}

describe('invalid props fail synth, naming the prop', () => {
  const attempt = (props: Partial<RedisFailoverProps> | ((stack: Stack) => Partial<RedisFailoverProps>)): string => {
    const stack = new Stack(testApp(), 'Test');
    const base = minimalProps(stack);
    const extra = typeof props === 'function' ? props(stack) : props;
    try {
      new RedisFailover(stack, 'Failover', { ...base, ...extra });
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
      return (error as Error).message;
    }
    throw new Error('accepted');
  };
  const at = 'RedisFailover Test/Failover: ';
  const master = (overrides: Record<string, unknown>) => ({ masters: [{ ...MASTERS[0]!, ...overrides } as RedisMasterProps] });

  it('a quorum larger than the probes', () => {
    expect(attempt(master({ quorum: 4 }))).toBe(
      `${at}masters[0].quorum: quorum 4 is larger than the number of probes (3: one per availability zone of vpcSubnets)`,
    );
  });

  it('a password in clear, or in an environment variable', () => {
    const clear =
      'a deployed config cannot hold a password (it would be stored in clear in the Lambda environment): store it in Secrets Manager and give auth.secretArn';
    expect(attempt(master({ auth: { password: 'hunter2' } }))).toBe(`${at}masters[0].auth.password: ${clear}`);
    expect(attempt(master({ auth: { passwordEnv: 'REDIS_PASSWORD' } }))).toBe(`${at}masters[0].auth.passwordEnv: ${clear}`);
    expect(attempt(master({ auth: { password: 'hunter2' } }))).not.toContain('hunter2');
  });

  it('a secret ARN that is partial, or no ARN at all', () => {
    expect(attempt(master({ auth: { secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis' } }))).toBe(
      `${at}masters[0].auth.secretArn: give the full ARN, with the 6-character suffix Secrets Manager adds to the name (IAM grants match the full ARN)`,
    );
    expect(attempt(master({ auth: { secretArn: 'redis/sessions' } }))).toBe(
      `${at}masters[0].auth.secretArn: must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>)`,
    );
  });

  it('anything the config file refuses: names, ports, times, duplicates, unknown keys, no master', () => {
    expect(attempt(master({ name: 'my master' }))).toBe(`${at}masters[0].name: must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got "my master")`);
    expect(attempt(master({ port: 0 }))).toBe(`${at}masters[0].port: must be an integer from 1 to 65535 (got 0)`);
    expect(attempt(master({ downAfterMs: -1 }))).toBe(`${at}masters[0].downAfterMs: must be a positive integer (got -1)`);
    expect(attempt(master({ sentinel: true }))).toBe(`${at}masters[0]: unknown key "sentinel"`);
    expect(attempt({ masters: [MASTERS[0]!, MASTERS[0]!] })).toBe(`${at}masters[1].name: duplicate master name "cache" (also masters[0].name)`);
    expect(attempt({ masters: [] })).toBe(`${at}masters: must list at least one master`);
  });

  it('a config too large for the Lambda environment', () => {
    const replicas = Array.from({ length: 120 }, (_, i) => ({ host: `10.20.${i}.100`, port: 6379 }));
    expect(attempt(master({ knownReplicas: replicas }))).toMatch(
      new RegExp(`^${at}masters: the config is \\d+ bytes as JSON, more than 3072 \\(Lambda allows 4 KB of environment per function\\)`),
    );
  });

  it('subnets, ports, memory, names, retention', () => {
    expect(attempt({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toBe(
      `${at}vpcSubnets: There are no 'Public' subnet groups in this VPC. Available types: Deprecated_Private_NAT,Private,Deprecated_Private`,
    );
    expect(attempt({ vpcSubnets: { subnets: [] } })).toBe(`${at}vpcSubnets: selects no subnet (the functions need private subnets)`);
    expect(attempt({ redisPorts: [] })).toBe(`${at}redisPorts: must name at least one port`);
    expect(attempt({ redisPorts: [6379, 70000] })).toBe(`${at}redisPorts[1]: must be an integer from 1 to 65535 (got 70000)`);
    expect(attempt({ probeMemorySize: 64 })).toBe(`${at}probeMemorySize: must be an integer from 128 to 10240 MB (got 64)`);
    expect(attempt({ probeInterval: Duration.millis(1500) })).toBe(
      `${at}probeInterval: must be a whole number of seconds from 1 to 450 (each invocation may run twice as long, and Lambda stops a function at 15 minutes); got 1 second 500 millis`,
    );
    expect(attempt({ probeInterval: Duration.minutes(10) })).toMatch(/probeInterval: must be a whole number of seconds from 1 to 450 .*got 10 minutes/);
    expect(attempt({ eventBusName: 'default' })).toBe(`${at}eventBusName: must be 1 to 256 of A-Z a-z 0-9 . _ - and not "default" (got "default")`);
    expect(attempt({ eventBusName: 'my bus' })).toBe(`${at}eventBusName: must be 1 to 256 of A-Z a-z 0-9 . _ - and not "default" (got "my bus")`);
    expect(attempt({ stateMachineName: 'a'.repeat(81) })).toMatch(new RegExp(`^${at}stateMachineName: must be 1 to 80 of A-Z a-z 0-9 _ -`));
    expect(attempt({ archiveRetention: Duration.hours(12) })).toBe(`${at}archiveRetention: must be a whole number of days, at least 1 (got 12 hours)`);
  });

  it('a DynamoDB endpoint without route tables, or a VPC without CIDR and no redisPeer', () => {
    const bare = (stack: Stack) => ({ vpc: ec2.Vpc.fromVpcAttributes(stack, 'Bare', { vpcId: 'vpc-1', availabilityZones: ZONES, privateSubnetIds: SUBNETS }) });
    expect(attempt((stack) => ({ ...bare(stack), dynamoDbGatewayEndpoint: true, redisPeer: ec2.Peer.ipv4('10.0.0.0/8') }))).toBe(
      `${at}dynamoDbGatewayEndpoint: the selected subnets have no known route table (import the VPC with its route table ids)`,
    );
    expect(attempt(bare)).toBe(`${at}redisPeer: is required when the VPC is imported without its CIDR block`);
    // …and with redisPeer given, that VPC is fine.
    expect(() => attempt((stack) => ({ ...bare(stack), redisPeer: ec2.Peer.ipv4('10.0.0.0/8') }))).toThrow(/^accepted$/);
  });
});

describe('the minimum', () => {
  it('is a VPC and the masters', () => {
    const stack = new Stack(testApp(), 'Minimal');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const failover = new RedisFailover(stack, 'Failover', { vpc, masters: [{ name: 'mymaster', host: '10.0.0.10', port: 6379, quorum: 2 }] });
    const m = new Synthesized(stack);
    expect(failover.probeFunctions).toHaveLength(2);
    expect(m.ofType('AWS::Lambda::Function')).toHaveLength(11);
    m.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: Match.arrayWith([Match.objectLike({ FromPort: 6379, CidrIp: { 'Fn::GetAtt': [m.idOf(vpc), 'CidrBlock'] } })]),
    });
    // Private subnets with egress are the default: the public ones are never used.
    for (const fn of failover.probeFunctions) {
      expect(JSON.stringify(m.props(m.idOf(fn)).VpcConfig)).toContain('PrivateSubnet');
    }
  });
});

describe('the failover request (SENTINEL FAILOVER)', () => {
  it('is one function, scheduled only to keep it warm, with what a leader reads (the table, the state machine, the bus, the config) and the voters status asks after', () => {
    const id = s.idOf(f.requestFailoverFunction);
    expect(s.props(id)).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', Timeout: 30 });
    expect(s.props(id).ReservedConcurrentExecutions).toBeUndefined();
    expect(envOf(id)).toEqual({
      TABLE_NAME: { Ref: s.idOf(f.table) },
      STATE_MACHINE_ARN: { Ref: s.idOf(f.stateMachine) },
      EVENT_BUS_NAME: { Ref: s.idOf(f.eventBus) },
      REDIS_FAILOVER_CONFIG: envOf(probeIds[0]!).REDIS_FAILOVER_CONFIG,
      REDIS_TLS: 'true',
      VOTER_IDS: f.voterIds.join(','),
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(f.voterIds).toHaveLength(3);
    const targeting = s.ofType('AWS::Scheduler::Schedule').filter(([, r]) => JSON.stringify(r.Properties).includes(id));
    expect(targeting.map(([, r]) => (r.Properties!.Target as { Input?: string }).Input)).toEqual([JSON.stringify({ warmup: true })]);
  });
});
