import { Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { RedisFailover } from 'redis-failover';

export interface CacheStackProps extends StackProps {
  /** Your VPC, its CIDR, zones and private subnets (one probe runs in each zone). */
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly availabilityZones: readonly string[];
  readonly privateSubnetIds: readonly string[];
  readonly privateSubnetRouteTableIds: readonly string[];
  /** The security group of your Redis servers: the failover's functions are let in on 6379. */
  readonly redisSecurityGroupId: string;
}

/** Your stack: your Redis servers' failover, and your own function told of every new master. */
export class CacheStack extends Stack {
  readonly failover: RedisFailover;

  constructor(scope: Construct, id: string, props: CacheStackProps) {
    super(scope, id, props);
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: props.vpcId,
      vpcCidrBlock: props.vpcCidr,
      availabilityZones: [...props.availabilityZones],
      privateSubnetIds: [...props.privateSubnetIds],
      privateSubnetRouteTableIds: [...props.privateSubnetRouteTableIds],
    });

    this.failover = new RedisFailover(this, 'Failover', {
      vpc,
      masters: [
        {
          name: 'cache',
          host: '10.20.1.10',
          port: 6379,
          quorum: 2,
          downAfterMs: 5000,
          knownReplicas: [
            { host: '10.20.2.10', port: 6379 },
            { host: '10.20.3.10', port: 6379 },
          ],
        },
      ],
    });

    // The failover's functions reach Redis through your servers' security group.
    const redis = ec2.SecurityGroup.fromSecurityGroupId(this, 'RedisSecurityGroup', props.redisSecurityGroupId);
    redis.connections.allowFrom(this.failover, ec2.Port.tcp(6379), 'redis-failover probes and steps');

    // Your code on every +switch-master: here it only logs the new master; yours would repoint clients or update config.
    const logGroup = new logs.LogGroup(this, 'OnSwitchMasterLogs', { retention: logs.RetentionDays.ONE_MONTH });
    const onSwitchMaster = new lambda.Function(this, 'OnSwitchMaster', {
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(
        'exports.handler = async (event) => { const d = event.detail; console.log(JSON.stringify({ master: d.master, from: d.oldMaster, to: d.newMaster, epoch: d.epoch })); };',
      ),
      memorySize: 128,
      timeout: Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
    });
    const rule = this.failover.onSwitchMaster('OnSwitchMasterRule', { target: new targets.LambdaFunction(onSwitchMaster, { retryAttempts: 3 }) });

    // cdk-nag's findings on this example's own function, each acknowledged with its reason (the construct acknowledges its own).
    Validations.of(onSwitchMaster).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The example function writes its logs only: the managed basic execution policy is that.',
      },
      {
        id: 'Serverless::Serverless-LambdaDLQ',
        reason: 'The example function only logs; a +switch-master it misses stays in the failover’s event archive for replay.',
      },
      { id: 'Serverless::Serverless-LambdaAsyncFailureDestination', reason: 'As above: nothing to deliver a failure to in an example.' },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'Active tracing: xray:PutTraceSegments and PutTelemetryRecords have no resource-level permissions.',
      },
    );
    Validations.of(rule).acknowledge({
      id: 'Serverless::Serverless-EventBusDLQ',
      reason: 'A delivery that fails three times is in the failover’s event archive, which replays it.',
    });
  }
}
