import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { EXAMPLE_CONFIG_PATH, readDeployConfig, type DeployConfig } from './config-file.ts';
import type { FailoverWorkflow } from './failover-workflow.ts';
import { RedisFailover, type RedisFailoverProps } from './redis-failover.ts';
import { acknowledge } from './nag.ts';
import { probesProblem } from './masters.ts';
import { FAILOVER_CONSTRUCT_ID } from './workflow-stack.ts';
import { RedisFailoverPropsError } from '../lambdas/core/errors.ts';

/** An existing VPC, imported by its attributes (no lookup: synth needs no AWS credentials). */
export interface ExistingVpcProps {
  /** `vpc-…` */
  readonly vpcId: string;
  /**
   * The VPC's CIDR block: where the Redis servers are, unless `failover.redisPeer` says otherwise.
   * @default - none: then `failover.redisPeer` is required
   */
  readonly vpcCidrBlock?: string;
  /** The private subnets the functions run in: one probe (one voter) per subnet, one subnet per zone. */
  readonly privateSubnetIds: readonly string[];
  /** The zone of each subnet, in the same order. */
  readonly availabilityZones: readonly string[];
  /**
   * The route table of each subnet, in the same order.
   * @default - unknown: no DynamoDB gateway endpoint can be added
   */
  readonly privateSubnetRouteTableIds?: readonly string[];
  /**
   * The CIDR block of each subnet, in the same order: zone preference then places a replica by
   * the subnet of its address (`preferredZones` with zone names and no `zones` of your own).
   * @default - unknown: zones only as the config maps them
   */
  readonly privateSubnetIpv4CidrBlocks?: readonly string[];
}

/** The stack of this repository's app (`bin/app.ts`, `cdk deploy -c …`): the construct in your VPC or a demo one. */
export interface RedisFailoverStackProps extends StackProps {
  /**
   * The masters to watch, and (for the demo VPC) how many probes.
   * @default - examples/config.json
   */
  readonly config?: DeployConfig;
  /**
   * The VPC of the Redis servers.
   * @default - a new demo VPC: `config.probes` availability zones (3 by default), one isolated
   * subnet in each, no NAT gateway, interface endpoints and a DynamoDB gateway endpoint
   */
  readonly existingVpc?: ExistingVpcProps;
  /**
   * Name of the custom event bus that receives every Sentinel event.
   * @default - generated from the construct's path (RedisFailoverProps.eventBusName)
   */
  readonly eventBusName?: string;
  /**
   * Further props of the RedisFailover construct (TLS, endpoints, retention, alarm actions, …).
   * @default - the construct's defaults; endpoints on with the demo VPC
   */
  readonly failover?: Omit<Partial<RedisFailoverProps>, 'vpc' | 'masters' | 'eventBusName'>;
  /**
   * An existing SNS topic every alarm notifies (`-c alarmTopicArn`).
   * @default - none (or the topic of `alarmEmail`)
   */
  readonly alarmTopicArn?: string;
  /**
   * An address every alarm e-mails, through a topic the stack creates (`-c alarmEmail`; confirm the subscription).
   * @default - none
   */
  readonly alarmEmail?: string;
}

const DEFAULT_PROBES = 3;
const DEMO_CIDR = '10.0.0.0/16';

/**
 * The deployable unit (`bin/app.ts`): the RedisFailover construct in a VPC, and the outputs a
 * user needs. Environment-agnostic: it synthesizes without any AWS call.
 */
export class RedisFailoverStack extends Stack {
  /** The construct, with everything it made. */
  readonly failover: RedisFailover;
  /** The construct's event bus (also the `EventBusName` output). */
  readonly eventBus: events.IEventBus;
  /** The construct's workflow. */
  readonly workflow: FailoverWorkflow;
  /** Your VPC, imported, or the demo VPC. */
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: RedisFailoverStackProps = {}) {
    super(scope, id, { description: 'redis-failover: Redis Sentinel failover on Lambda, Step Functions, DynamoDB and EventBridge', ...props });
    const config = props.config ?? readDeployConfig(EXAMPLE_CONFIG_PATH);
    const existing = props.existingVpc;
    this.vpc = existing ? this.importVpc(existing, config) : this.demoVpc(config.probes ?? DEFAULT_PROBES);

    const alarmActions = [...(props.failover?.alarmActions ?? []), ...this.alarmTopics(props).map((topic) => new cloudwatchActions.SnsAction(topic))];
    this.failover = new RedisFailover(this, FAILOVER_CONSTRUCT_ID, {
      ...(existing ? {} : { interfaceEndpoints: true, dynamoDbGatewayEndpoint: true }),
      ...props.failover,
      ...(alarmActions.length > 0 && { alarmActions }),
      vpc: this.vpc,
      masters: config.masters,
      ...(config.probes !== undefined && { probes: config.probes }),
      ...(props.eventBusName !== undefined && { eventBusName: props.eventBusName }),
    });
    this.eventBus = this.failover.eventBus;
    this.workflow = this.failover.workflow;

    new CfnOutput(this, 'StateMachineArn', {
      value: this.failover.stateMachine.stateMachineArn,
      description: 'The failover workflow (Step Functions console: its executions are named <master>-<epoch>)',
    });
    new CfnOutput(this, 'RequestFailoverFunctionName', {
      value: this.failover.requestFailoverFunction.functionName,
      description:
        'SENTINEL FAILOVER: aws lambda invoke --function-name <this> --cli-binary-format raw-in-base64-out --payload \'{"master":"mymaster"}\' /dev/stdout',
    });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'Every Sentinel event; detail-type is the event name' });
    new CfnOutput(this, 'TableName', { value: this.failover.table.tableName, description: 'Votes, known replicas, the master of record, epochs' });
    new CfnOutput(this, 'SwitchMasterTopicArn', {
      value: this.failover.switchMasterTopic.topicArn,
      description: 'Subscribe here to hear about +switch-master',
    });
    const dns = this.failover.dnsEndpoints;
    if (dns) {
      new CfnOutput(this, 'HostedZoneId', { value: dns.zone.hostedZoneId, description: 'The private hosted zone of the DNS endpoints' });
      const list = (names: Readonly<Record<string, string>>) =>
        Object.entries(names)
          .map(([master, name]) => `${master}=${name}`)
          .join(' ');
      new CfnOutput(this, 'PrimaryEndpoints', {
        value: list(dns.primaryNames),
        description: `Each master group's primary endpoint (TTL ${dns.ttl.toSeconds()} s): always the master of record`,
      });
      if (Object.keys(dns.readerNames).length > 0)
        new CfnOutput(this, 'ReaderEndpoints', {
          value: list(dns.readerNames),
          description: "Each master group's reader endpoint: its replicas that serve (the master when none does)",
        });
    }
    new CfnOutput(this, 'SecurityGroupId', {
      value: this.failover.securityGroup.securityGroupId,
      description: "The functions' security group: allow it in on the Redis ports",
    });
  }

  /** The topics the alarms notify: the one named, and one created for the e-mail address. */
  private alarmTopics(props: RedisFailoverStackProps): sns.ITopic[] {
    const topics: sns.ITopic[] = [];
    if (props.alarmTopicArn !== undefined) topics.push(sns.Topic.fromTopicArn(this, 'AlarmTopicImported', props.alarmTopicArn));
    if (props.alarmEmail !== undefined) {
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'redis-failover alarms', enforceSSL: true });
      topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
      topics.push(topic);
    }
    return topics;
  }

  private importVpc(existing: ExistingVpcProps, config: DeployConfig): ec2.IVpc {
    const fail = (prop: string, problem: string): never => {
      throw new RedisFailoverPropsError(`RedisFailoverStack ${this.node.path}: ${prop}: ${problem}`);
    };
    const subnets = existing.privateSubnetIds;
    if (subnets.length === 0) fail('existingVpc.privateSubnetIds', 'must name at least one subnet');
    if (existing.availabilityZones.length !== subnets.length) {
      fail('existingVpc.availabilityZones', `must name the zone of each subnet (${subnets.length} subnets, ${existing.availabilityZones.length} zones)`);
    }
    if (new Set(existing.availabilityZones).size !== subnets.length) fail('existingVpc.availabilityZones', 'one subnet per zone: each subnet is one voter');
    const routeTables = existing.privateSubnetRouteTableIds;
    if (routeTables !== undefined && routeTables.length !== subnets.length) {
      fail(
        'existingVpc.privateSubnetRouteTableIds',
        `must name the route table of each subnet (${subnets.length} subnets, ${routeTables.length} route tables)`,
      );
    }
    const cidrs = existing.privateSubnetIpv4CidrBlocks;
    if (cidrs !== undefined && cidrs.length !== subnets.length) {
      fail('existingVpc.privateSubnetIpv4CidrBlocks', `must name the CIDR block of each subnet (${subnets.length} subnets, ${cidrs.length} blocks)`);
    }
    // The construct checks `probes` against the zones too (same rule); here it is named as this stack's prop.
    const probesMismatch = probesProblem(config.probes, subnets.length, 'subnets');
    if (probesMismatch !== undefined) fail('config.probes', probesMismatch);
    return ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
      vpcId: existing.vpcId,
      vpcCidrBlock: existing.vpcCidrBlock,
      availabilityZones: [...existing.availabilityZones],
      privateSubnetIds: [...subnets],
      privateSubnetRouteTableIds: routeTables === undefined ? undefined : [...routeTables],
      privateSubnetIpv4CidrBlocks: cidrs === undefined ? undefined : [...cidrs],
    });
  }

  /**
   * A VPC to synthesize (and try) without one of your own. Its zones are `Fn::GetAZs` picks, not a
   * context lookup, so synth stays offline and the stack environment-agnostic.
   */
  private demoVpc(zones: number): ec2.IVpc {
    const vpc = new ec2.Vpc(this, 'DemoVpc', {
      ipAddresses: ec2.IpAddresses.cidr(DEMO_CIDR),
      availabilityZones: Array.from({ length: zones }, (_, i) => Fn.select(i, Fn.getAzs())),
      natGateways: 0,
      subnetConfiguration: [{ name: 'Private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
    });
    acknowledge(
      vpc,
      'AwsSolutions-VPC7',
      'The demo VPC exists so that synth and a first try need nothing; production deploys into an existing VPC (-c vpcId) whose flow logs its owner manages.',
    );
    return vpc;
  }
}
