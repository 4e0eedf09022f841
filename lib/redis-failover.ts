import { Aws, Duration, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TABLE_KEY_SCHEMA } from '../lambdas/adapters/dynamodb-store.ts';
import { configDocument, parseConfig, type Config } from '../lambdas/core/config.ts';
import type { SentinelEventName } from '../lambdas/core/events.ts';
import { leaseMs } from '../lambdas/runtime/leadership.ts';
import { DnsEndpoints, type DnsEndpointsProps } from './dns-endpoints.ts';
import { EVENT_SOURCE, EventDelivery } from './event-delivery.ts';
import { FailoverWorkflow } from './failover-workflow.ts';
import { probesProblem, redisPortsOf, secretArnsOf, type RedisMasterProps } from './masters.ts';
import { FailoverMonitoring, type FailoverAlarms } from './monitoring.ts';
import { FailoverNetwork } from './network.ts';
import { acknowledge } from './nag.ts';
import { executionRole, type LogGroupOptions } from './function-defaults.ts';
import { handlerFunction } from './handler-function.ts';
import { PROBE_RATE, Probes } from './probes.ts';
import { WarmUp } from './warm-up.ts';
import { PROBE_TABLE_ACTIONS, REQUEST_FAILOVER_HANDLER, STEP_ACCESS, STEP_KEYS, type StepKey } from './steps.ts';
import { ConfigError, RedisFailoverPropsError, messageOf } from '../lambdas/core/errors.ts';

/** What RedisFailover needs: a VPC and the master groups; everything else has a default. */
export interface RedisFailoverProps {
  /** The VPC the Redis servers are in. Every function runs in its private subnets. */
  readonly vpc: ec2.IVpc;
  /**
   * The master groups to watch: the `masters` of the config file. AUTH only as `auth.secretArn`
   * (a password in clear would be stored in the Lambda environment, so it is refused).
   */
  readonly masters: readonly RedisMasterProps[];
  /**
   * The number of probes (voters), as a config file's `probes` says it: one probe runs per
   * availability zone of `vpcSubnets`, so a number given must be that one (else synth fails naming it).
   * @default - one per availability zone of `vpcSubnets`
   */
  readonly probes?: number;
  /**
   * The subnets the functions run in. One probe function (one voter) runs in each availability
   * zone of the selection; `quorum` counts among them.
   * @default - the VPC's private subnets (with egress, else isolated)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Where the Redis servers (and any replica INFO may reveal) are: the functions' only non-HTTPS egress.
   * @default - the VPC's CIDR block
   */
  readonly redisPeer?: ec2.IPeer;
  /**
   * TCP ports the functions may reach Redis on.
   * @default - every port in `masters` (masters and known replicas)
   */
  readonly redisPorts?: readonly number[];
  /**
   * TLS to Redis (REDIS_TLS).
   * @default false
   */
  readonly tls?: boolean;
  /**
   * Interface endpoints for Step Functions, EventBridge and Secrets Manager in the function
   * subnets, with private DNS. Needed when the subnets have no NAT; each costs about
   * $7.30 a month per availability zone. Leave off when the VPC already has them (private DNS
   * names can only be claimed once per VPC).
   * @default false
   */
  readonly interfaceEndpoints?: boolean;
  /**
   * A DynamoDB gateway endpoint on the function subnets' route tables (free). Leave off when
   * those route tables already have one.
   * @default false
   */
  readonly dynamoDbGatewayEndpoint?: boolean;
  /**
   * Name of the event bus the construct makes.
   * @default - generated from the construct's path: unique in the account, so two stacks never collide
   */
  readonly eventBusName?: string;
  /**
   * A bus of yours to publish every event on instead of one of the construct's own (then
   * `eventBusName` is refused). The archive and the `+switch-master` rule are made on it.
   * @default - a bus of its own
   */
  readonly eventBus?: events.IEventBus;
  /**
   * The functions' security group instead of one of the construct's own. It must let them out to
   * Redis (`redisPorts`) and to the AWS APIs over HTTPS; the construct adds those egress rules to it
   * (they change nothing on a group that allows all outbound).
   * @default - a group of its own, out to `redisPeer` on `redisPorts` and to HTTPS only
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * A customer managed key to encrypt at rest the table, the bus the construct makes and its
   * archive, every log group, and the `+switch-master` topic unless `switchMasterTopicKey` names
   * another. The functions are granted its use; EventBridge and CloudWatch Logs are allowed it in the
   * key policy when the key is defined in the same stack (else give them that in the key's policy).
   * @default - AWS owned keys (the topic: not encrypted at rest)
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to every log group (the state machine's, each function's) when the stack is deleted.
   * No log group has a fixed name, so a retained one never stops a later deploy.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * How long the event archive keeps events for replay.
   * @default Duration.days(90)
   */
  readonly archiveRetention?: Duration;
  /**
   * A customer managed key to encrypt the +switch-master topic with. EventBridge is granted its
   * use when the key is defined in the same stack.
   * @default - `encryptionKey`; without it the topic is not encrypted at rest (it carries master names and addresses only)
   */
  readonly switchMasterTopicKey?: kms.IKey;
  /**
   * Customer managed keys the Redis secrets are encrypted with: the functions that read the
   * secrets may decrypt with them.
   * @default - none: the secrets use the AWS managed key `aws/secretsmanager`
   */
  readonly secretsKeys?: readonly kms.IKey[];
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Retention of every log group: the state machine's and each function's.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Memory of each probe function, in MB (the probe runs all the time: this is most of the cost).
   * @default 256
   */
  readonly probeMemorySize?: number;
  /**
   * How often each probe function is started. Each invocation watches until the next one has
   * taken the voter over, so this sets the handover cadence, not a gap in watching. EventBridge
   * Scheduler starts functions at most once a minute, in whole minutes: a shorter interval
   * synthesizes (with a warning) but cannot be deployed; it is for the simulation of the deployed
   * stack on one machine, where minutes would make every test slow.
   * @default Duration.minutes(1)
   */
  readonly probeInterval?: Duration;
  /**
   * How the failover's functions are kept warm between failovers, so a failover after a quiet week
   * does not pay a cold start at every step. 'schedule': a warm-up invocation of each step function
   * (and of the failover request) every `warmUpInterval`, one per container ReconfSlave uses at once
   * (1 + parallel-syncs); pennies a month. 'provisioned': provisioned concurrency in the same numbers on
   * an alias the workflow invokes, no cold start at all, about $2.20 a month per unit (arm64, 256 MB);
   * the failover request is then not kept warm. 'none': cold after a quiet spell.
   * @default 'schedule'
   */
  readonly keepWarm?: 'schedule' | 'provisioned' | 'none';
  /**
   * How often the warm-up invocations run, with `keepWarm: 'schedule'`. Lambda keeps an idle
   * container for some minutes, at a time it does not promise.
   * @default Duration.minutes(5)
   */
  readonly warmUpInterval?: Duration;
  /**
   * Name of the state machine.
   * @default - generated by CloudFormation
   */
  readonly stateMachineName?: string;
  /**
   * Actions of every alarm (an `SnsAction` to page someone).
   * @default - none: the alarms show in the console and on the dashboard
   */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * DNS names that follow the master, as ElastiCache's primary and reader endpoints do: per master
   * group `<name>.<zone>` (the master of record, moved at the promotion, before `+switch-master`)
   * and `<name>-ro.<zone>` (its replicas), in a private hosted zone. The functions that write them
   * (WaitPromotion, SwitchMaster, the probes) call the Route 53 API: their subnets need a route to it.
   * @default - none: applications follow `+switch-master` (or ask the table)
   */
  readonly dnsEndpoints?: DnsEndpointsProps;
  /**
   * X-Ray active tracing of every function and of the state machine: a failover's execution and
   * the invocations of its steps show as one trace (a step waiting on Redis as its own segment).
   * @default true
   */
  readonly tracing?: boolean;
}

const DEFAULT_PROBE_MEMORY = 256;
/** Containers kept warm for one step at most: past that, a failover's later replicas start cold. */
const MAX_WARM_CONTAINERS = 5;
/** Lambda allows 4 KB of environment variables per function, names and values together. */
const MAX_CONFIG_ENV_BYTES = 3072;

interface ResolvedProps {
  readonly config: Config;
  readonly subnets: ec2.ISubnet[];
  /** One per availability zone: one probe each. */
  readonly probeSubnets: ec2.ISubnet[];
  readonly configJson: string;
  readonly redisPorts: readonly number[];
  readonly redisPeer: ec2.IPeer;
  readonly probeMemorySize: number;
  readonly probeInterval: Duration;
  readonly archiveRetention: Duration;
  readonly logGroups: LogGroupOptions;
}

/**
 * A serverless Redis Sentinel for one VPC: a probe function per availability zone voting SDOWN
 * and ODOWN in a DynamoDB table, the failover workflow in Step Functions, every event on an
 * EventBridge bus (archived, `+switch-master` to an SNS topic), alarms and a dashboard.
 */
export class RedisFailover extends Construct implements ec2.IConnectable {
  /** The failover workflow: the state machine and its step functions. */
  readonly workflow: FailoverWorkflow;
  /** The failover workflow's state machine; an execution per failover, named `<master>-<epoch>`. */
  readonly stateMachine: sfn.StateMachine;
  /** Where the state machine logs every transition, with its input and output. */
  readonly stateMachineLogGroup: logs.LogGroup;
  /** Where every Sentinel event goes: `detail-type` the event name (`+switch-master`, `+odown`, …). */
  readonly eventBus: events.IEventBus;
  /** Every event on the bus, kept `archiveRetention` for replay. */
  readonly archive: events.Archive;
  /** `+switch-master` from the bus to `switchMasterTopic`. */
  readonly switchMasterRule: events.Rule;
  /** Subscribe to it (e-mail, SQS, HTTPS) to hear of each new master. */
  readonly switchMasterTopic: sns.Topic;
  /** The voters' table: the master of record, votes, leases and known replicas of each group. */
  readonly table: dynamodb.Table;
  /** The workflow's step functions, by step. */
  readonly stepFunctions: Readonly<Record<StepKey, lambda.Function>>;
  /** One per voter, in the order of `voterIds`. */
  readonly probeFunctions: readonly lambda.Function[];
  /** The voters, one per availability zone of the function subnets: the zone's name, in the order of `probeFunctions`. */
  readonly voterIds: readonly string[];
  /** SENTINEL FAILOVER: invoke with `{"master": "<name>"}`; answers the execution or INPROG / NOGOODSLAVE. */
  readonly requestFailoverFunction: lambda.Function;
  /** The functions' security group: allow it in on your Redis servers' security group (or use `connections`). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The functions' network connections: `redisSecurityGroup.connections.allowFrom(failover, ec2.Port.tcp(6379))`. */
  readonly connections: ec2.Connections;
  /** The security group and, when asked, the VPC endpoints. */
  readonly network: FailoverNetwork;
  /** Every alarm, by what it watches (docs/deploy.md, "Watching a failover"). */
  readonly alarms: FailoverAlarms;
  /** The warm-up schedules, with `keepWarm: 'schedule'`. */
  readonly warmUp: WarmUp | undefined;
  /** Each master group first, then the alarms and the health of every part (lib/dashboard.ts). */
  readonly dashboard: cloudwatch.Dashboard;
  /** The config every function receives, validated (defaults filled). */
  readonly config: Config;
  /** The private hosted zone and the record names, with `dnsEndpoints`. */
  readonly dnsEndpoints: DnsEndpoints | undefined;

  constructor(scope: Construct, id: string, props: RedisFailoverProps) {
    super(scope, id);
    const { config, subnets, probeSubnets, configJson, redisPorts, redisPeer, probeMemorySize, probeInterval, archiveRetention, logGroups } =
      this.resolve(props);
    const key = props.encryptionKey;
    this.config = config;

    this.network = new FailoverNetwork(this, 'Network', {
      vpc: props.vpc,
      subnets,
      redisPeer,
      redisPorts,
      interfaceEndpoints: props.interfaceEndpoints ?? false,
      dynamoDbGatewayEndpoint: props.dynamoDbGatewayEndpoint ?? false,
      ...(props.securityGroup && { securityGroup: props.securityGroup }),
    });
    this.securityGroup = this.network.securityGroup;
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    this.table = new dynamodb.Table(this, 'Table', {
      ...tableKeys(),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
      ...(key && { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key }),
    });
    // CloudWatch Logs encrypts with the key only if its policy allows the service (effective when the key is in this stack).
    key?.grantEncryptDecrypt(new iam.ServicePrincipal(`logs.${Stack.of(this).region}.amazonaws.com`));

    const delivery = new EventDelivery(this, 'Events', {
      ...(props.eventBus && { eventBus: props.eventBus }),
      ...(props.eventBusName !== undefined && { eventBusName: props.eventBusName }),
      archiveRetention,
      ...(key && { encryptionKey: key }),
      topicKey: props.switchMasterTopicKey ?? key,
    });
    this.eventBus = delivery.eventBus;
    this.archive = delivery.archive;
    this.switchMasterRule = delivery.switchMasterRule;
    this.switchMasterTopic = delivery.switchMasterTopic;

    const tls = props.tls ? 'true' : 'false';
    // Under /aws/vendedlogs/ (CloudWatch Logs' resource policy then needs no entry per group), named after this stack's
    // own id: a redeploy after a destroy gets a new name, so a retained group from before never collides.
    this.stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 160, separator: '-' })}-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`,
      ...logGroups,
    });
    // Id 'Default' keeps the workflow's logical ids those of a FailoverWorkflow with this construct's id
    // (`<id><Step>Function…`): the local runner synthesizes the workflow alone and must find the same ones.
    const keepWarm = props.keepWarm ?? 'schedule';
    const tracing = props.tracing === false ? lambda.Tracing.DISABLED : lambda.Tracing.ACTIVE;
    const warmCounts = warmConcurrency(config);
    this.workflow = new FailoverWorkflow(this, 'Default', {
      ...(keepWarm === 'provisioned' && { provisionedConcurrency: warmCounts }),
      timeout: executionTimeout(config),
      eventBus: this.eventBus,
      table: this.table,
      stateMachineName: props.stateMachineName,
      logs: { destination: this.stateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: tracing === lambda.Tracing.ACTIVE,
      logGroups,
      functionProps: { vpc: props.vpc, vpcSubnets: { subnets }, securityGroups: [this.securityGroup], tracing },
      // A step gets each group's AUTH only, not the whole config (the probes validate it): no schema to load at a cold start.
      redisEnvironment: { REDIS_AUTH: JSON.stringify(authOf(config)), REDIS_TLS: tls },
    });
    this.stateMachine = this.workflow.stateMachine;
    this.stepFunctions = this.workflow.functions;

    // What a function that leads failovers reads (lambdas/runtime/aws/orchestrator.ts): the probes and the request.
    const leaderEnvironment = {
      REDIS_FAILOVER_CONFIG: configJson,
      REDIS_TLS: tls,
      TABLE_NAME: this.table.tableName,
      STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
    };
    const probesConstruct = new Probes(this, 'Probes', {
      vpc: props.vpc,
      subnets: probeSubnets,
      securityGroup: this.securityGroup,
      memorySize: probeMemorySize,
      logGroups,
      interval: probeInterval,
      environment: leaderEnvironment,
      tracing,
    });
    this.probeFunctions = probesConstruct.functions;
    this.voterIds = probesConstruct.voterIds;

    const requestLogs = new logs.LogGroup(this, 'RequestFailoverLogs', logGroups);
    this.requestFailoverFunction = handlerFunction(this, 'RequestFailover', {
      handlerFile: REQUEST_FAILOVER_HANDLER,
      memorySize: 256,
      // It observes every replica once (1 s connect and command timeouts each, in parallel) and writes the lease;
      // a coordinated request also waits for the handover (5 s of paused writes at most, plus 5 s for Redis to abort).
      timeout: Duration.seconds(30),
      vpc: props.vpc,
      vpcSubnets: { subnets },
      securityGroups: [this.securityGroup],
      logGroup: requestLogs,
      tracing,
      role: executionRole(this, 'RequestFailoverRole', { logGroup: requestLogs, inVpc: true }),
      description:
        'redis-failover: SENTINEL FAILOVER <master> [COORDINATED] ({"master": "<name>"}), and {"action": "pause" | "resume" | "status" | "history" | "get-master-addr", "master": "<name>" or "*"}',
      // VOTER_IDS: which probes `status` asks the sessions of.
      environment: { ...leaderEnvironment, VOTER_IDS: this.voterIds.join(','), NODE_OPTIONS: '--enable-source-maps' },
    });
    acknowledge(
      this.requestFailoverFunction,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by an operator (or their tooling), who gets the answer or the error; a dead-letter queue applies to asynchronous invocations only.',
    );

    // Least privilege: each function that leads failovers (the probes, the request) gets the table
    // actions it calls, the start and status of this state machine's executions, the bus; the
    // Redis-connecting functions read exactly the secrets named.
    const leaders = [...this.probeFunctions, this.requestFailoverFunction];
    const stack = Stack.of(this);
    // The table's key: every function that reads or writes the table.
    const tableUsers = [...leaders, ...STEP_KEYS.filter((step) => STEP_ACCESS[step].table.length > 0).map((step) => this.stepFunctions[step])];
    for (const fn of key ? tableUsers : []) {
      key?.grantEncryptDecrypt(fn);
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        acknowledge(
          fn.role!,
          `AwsSolutions-IAM5[Action::${action}]`,
          'On the one key the table is encrypted with: the data-key actions CDK grants a reader and writer of a table with a customer managed key (Table.grantReadWriteData).',
        );
      }
    }
    // The failover history: this state machine's executions and their events (runtime/operator.ts).
    this.stateMachine.grant(this.requestFailoverFunction, 'states:ListExecutions');
    this.stateMachine.grantExecution(this.requestFailoverFunction, 'states:GetExecutionHistory');
    for (const fn of leaders) {
      this.table.grant(fn, ...PROBE_TABLE_ACTIONS);
      this.eventBus.grantPutEventsTo(fn);
      this.stateMachine.grantStartExecution(fn);
      this.stateMachine.grantExecution(fn, 'states:DescribeExecution');
      acknowledge(
        fn.role!,
        `AwsSolutions-IAM5[Resource::arn:${pseudoOr(stack.partition, 'AWS::Partition')}:states:${pseudoOr(stack.region, 'AWS::Region')}:${pseudoOr(stack.account, 'AWS::AccountId')}:execution:${JSON.stringify(stack.resolve(Fn.select(6, Fn.split(':', this.stateMachine.stateMachineArn))))}:*]`,
        'DescribeExecution on the executions of this one state machine: a voter checks whether the failover it saw elected ever started; execution names (<master>-<epoch>) are not known in advance.',
      );
    }
    this.warmUp =
      keepWarm === 'schedule'
        ? new WarmUp(this, 'WarmUp', {
            interval: props.warmUpInterval,
            targets: [
              ...STEP_KEYS.map((step) => ({ name: `${step[0]!.toUpperCase()}${step.slice(1)}`, fn: this.stepFunctions[step], concurrency: warmCounts[step] })),
              { name: 'RequestFailover', fn: this.requestFailoverFunction, concurrency: 1 },
            ],
          })
        : undefined;

    this.dnsEndpoints =
      props.dnsEndpoints &&
      new DnsEndpoints(this, 'Dns', {
        ...props.dnsEndpoints,
        vpc: props.vpc,
        masters: config.masters.map((m) => m.name),
        invalid: (prop, problem) => this.invalid(prop, problem),
      });
    if (this.dnsEndpoints) {
      for (const fn of [...this.probeFunctions, ...STEP_KEYS.filter((step) => STEP_ACCESS[step].dns).map((step) => this.stepFunctions[step])])
        this.dnsEndpoints.grantTo(fn);
    }

    const secretArns = secretArnsOf(this.config);
    const readsRedis = [...leaders, ...STEP_KEYS.filter((step) => STEP_ACCESS[step].redis).map((step) => this.stepFunctions[step])];
    if (secretArns.length > 0) {
      for (const fn of readsRedis) {
        fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: secretArns }));
        for (const key of props.secretsKeys ?? []) key.grantDecrypt(fn);
      }
    }

    const monitoring = new FailoverMonitoring(this, 'Monitoring', {
      stateMachine: this.stateMachine,
      probes: this.probeFunctions,
      voterIds: this.voterIds,
      masterNames: config.masters.map((master) => master.name),
      steps: this.stepFunctions,
      table: this.table,
      switchMasterRule: this.switchMasterRule,
      alarmActions: props.alarmActions ?? [],
    });
    this.alarms = monitoring.alarms;
    this.dashboard = monitoring.dashboard;
  }

  /**
   * A rule on `+switch-master` (a failover ended: the new master is the master of record) of every
   * master group, e.g. to repoint your clients: `failover.onSwitchMaster('Repoint', { target: new targets.LambdaFunction(fn) })`.
   */
  onSwitchMaster(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onSentinelEvent(id, '+switch-master', options);
  }

  /** A rule on one Sentinel event (`+odown`, `-failover-abort-no-good-slave`, …) of every master group: `detail` as docs/events.md shows it. */
  onSentinelEvent(id: string, event: SentinelEventName, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      eventBus: this.eventBus,
      ...(options.ruleName !== undefined && { ruleName: options.ruleName }),
      description: options.description ?? `redis-failover ${event}`,
      eventPattern: { ...options.eventPattern, source: [EVENT_SOURCE], detailType: [event] },
    });
    if (options.target) rule.addTarget(options.target);
    return rule;
  }

  /** Every prop checked (a one-line error naming the prop), defaults filled. */
  private invalid(prop: string, problem: string): never {
    throw new RedisFailoverPropsError(`RedisFailover ${this.node.path}: ${prop}: ${problem}`);
  }

  private resolve(props: RedisFailoverProps): ResolvedProps {
    const invalid = (prop: string, problem: string): never => this.invalid(prop, problem);

    const selection = props.vpcSubnets ?? {};
    let subnets: ec2.ISubnet[] = [];
    let probeSubnets: ec2.ISubnet[] = [];
    try {
      subnets = props.vpc.selectSubnets(selection).subnets;
      probeSubnets = props.vpc.selectSubnets({ ...selection, onePerAz: true }).subnets;
    } catch (error) {
      invalid('vpcSubnets', messageOf(error));
    }
    if (probeSubnets.length === 0) invalid('vpcSubnets', 'selects no subnet (the functions need private subnets)');
    const probes = probeSubnets.length;
    const probesMismatch = probesProblem(props.probes, probes, 'zones');
    if (probesMismatch !== undefined) invalid('probes', probesMismatch);

    // The masters go through the one parser, as a config file and the functions' environment do; its
    // one-line message already names this construct and the field.
    let config: Config;
    try {
      config = parseConfig({ probes, masters: props.masters }, `RedisFailover ${this.node.path}`, {
        deployed: true,
        probesFrom: 'one per availability zone of vpcSubnets',
      });
    } catch (error) {
      if (error instanceof ConfigError) throw new RedisFailoverPropsError(error.message, { cause: error });
      throw error;
    }
    config = withSubnetZones(config, props.vpc);
    // What the functions receive is the validated config itself, written back as a document (defaults left out).
    const configJson = JSON.stringify(configDocument(config));
    if (Buffer.byteLength(configJson) > MAX_CONFIG_ENV_BYTES) {
      invalid(
        'masters',
        `the config is ${Buffer.byteLength(configJson)} bytes as JSON, more than ${MAX_CONFIG_ENV_BYTES} (Lambda allows 4 KB of environment per function): split the master groups over several stacks`,
      );
    }

    const redisPorts = props.redisPorts ?? redisPortsOf(config);
    if (redisPorts.length === 0) invalid('redisPorts', 'must name at least one port');
    redisPorts.forEach((port, i) => {
      if (!Number.isInteger(port) || port < 1 || port > 65535) invalid(`redisPorts[${i}]`, `must be an integer from 1 to 65535 (got ${String(port)})`);
    });
    const probeMemorySize = props.probeMemorySize ?? DEFAULT_PROBE_MEMORY;
    if (!Number.isInteger(probeMemorySize) || probeMemorySize < 128 || probeMemorySize > 10240) {
      invalid('probeMemorySize', `must be an integer from 128 to 10240 MB (got ${String(probeMemorySize)})`);
    }
    const probeInterval = props.probeInterval ?? PROBE_RATE;
    if (!probeInterval.isUnresolved()) {
      const seconds = probeInterval.toSeconds({ integral: false });
      if (!Number.isInteger(seconds) || seconds < 1 || seconds > 450) {
        invalid(
          'probeInterval',
          `must be a whole number of seconds from 1 to 450 (each invocation may run twice as long, and Lambda stops a function at 15 minutes); got ${probeInterval.toHumanString()}`,
        );
      }
    }
    const eventBusName = props.eventBusName;
    if (eventBusName !== undefined && props.eventBus !== undefined) invalid('eventBusName', 'names the bus the construct makes: leave it out with eventBus');
    if (eventBusName !== undefined && !Token.isUnresolved(eventBusName) && (!/^[A-Za-z0-9._-]{1,256}$/.test(eventBusName) || eventBusName === 'default')) {
      invalid('eventBusName', `must be 1 to 256 of A-Z a-z 0-9 . _ - and not "default" (got ${JSON.stringify(eventBusName)})`);
    }
    if (props.stateMachineName !== undefined && !Token.isUnresolved(props.stateMachineName) && !/^[A-Za-z0-9_-]{1,80}$/.test(props.stateMachineName)) {
      invalid('stateMachineName', `must be 1 to 80 of A-Z a-z 0-9 _ - (got ${JSON.stringify(props.stateMachineName)})`);
    }
    const archiveRetention = props.archiveRetention ?? Duration.days(90);
    if (!archiveRetention.isUnresolved() && (archiveRetention.toSeconds() < 86_400 || archiveRetention.toSeconds() % 86_400 !== 0)) {
      invalid('archiveRetention', `must be a whole number of days, at least 1 (got ${archiveRetention.toHumanString()})`);
    }
    if (props.dynamoDbGatewayEndpoint && subnets.some((s) => s.routeTable?.routeTableId === undefined)) {
      invalid('dynamoDbGatewayEndpoint', 'the selected subnets have no known route table (import the VPC with its route table ids)');
    }
    let redisPeer = props.redisPeer;
    if (redisPeer === undefined) {
      try {
        redisPeer = ec2.Peer.ipv4(props.vpc.vpcCidrBlock);
      } catch {
        invalid('redisPeer', 'is required when the VPC is imported without its CIDR block');
      }
    }
    const logGroups: LogGroupOptions = {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
      ...(props.encryptionKey && { encryptionKey: props.encryptionKey }),
    };
    return { config, subnets, probeSubnets, configJson, redisPorts, redisPeer: redisPeer!, probeMemorySize, probeInterval, archiveRetention, logGroups };
  }
}

/** How cdk-nag spells a part of an ARN: the literal of a stack with an environment, else the pseudo parameter. */
/**
 * Zone preference on AWS without listing every server: each subnet of the VPC whose CIDR block is
 * known at synth time names its availability zone (`10.0.1.0/24` → `eu-west-1a`), so a replica is
 * placed by the subnet of its address. What the config maps itself wins (a more specific key, or
 * the same CIDR). Only master groups that ask for zone preference get them.
 */
function withSubnetZones(config: Config, vpc: ec2.IVpc): Config {
  if (!config.masters.some((m) => m.zonePreference !== undefined)) return config;
  const subnetZones: Record<string, string> = {};
  for (const subnet of [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets]) {
    let cidr: string;
    try {
      cidr = subnet.ipv4CidrBlock;
    } catch {
      continue; // an imported subnet given without its CIDR block
    }
    if (!Token.isUnresolved(cidr) && !Token.isUnresolved(subnet.availabilityZone)) subnetZones[cidr] = subnet.availabilityZone;
  }
  return {
    ...config,
    masters: config.masters.map((m) =>
      m.zonePreference ? { ...m, zonePreference: { ...m.zonePreference, zones: { ...subnetZones, ...m.zonePreference.zones } } } : m,
    ),
  };
}

function pseudoOr(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? `<${pseudo}>` : value;
}

/**
 * The longest legitimate failover is the voters' lease (each phase bounded by failover-timeout,
 * lambdas/runtime/leadership.ts); a minute more covers the steps' retries. Past it the execution
 * is stopped and ExecutionsTimedOut fires.
 */
function executionTimeout(config: Config): Duration {
  return Duration.seconds(Math.ceil(Math.max(...config.masters.map((m) => leaseMs(m))) / 1000) + 60);
}

/**
 * The containers each step uses at once in a failover: one, but ReconfSlave re-points up to
 * parallel-syncs replicas beside the old master's demotion.
 */
function warmConcurrency(config: Config): Record<StepKey, number> {
  const parallel = Math.max(...config.masters.map((m) => m.parallelSyncs));
  return Object.fromEntries(STEP_KEYS.map((step) => [step, step === 'reconfSlave' ? Math.min(MAX_WARM_CONTAINERS, 1 + parallel) : 1])) as Record<
    StepKey,
    number
  >;
}

/** REDIS_AUTH of the steps (lambdas/runtime/aws/redis.ts): each master group with AUTH, its username and secret. */
function authOf(config: Config): Record<string, { username?: string; secretArn: string }> {
  const entries = config.masters.flatMap((m) =>
    m.auth?.secretArn === undefined
      ? []
      : [[m.name, { ...(m.auth.username !== undefined && { username: m.auth.username }), secretArn: m.auth.secretArn }] as const],
  );
  return Object.fromEntries(entries);
}

/** The table's keys, from the schema the store itself uses (lambdas/adapters/dynamodb-store.ts). */
function tableKeys(): Pick<dynamodb.TableProps, 'partitionKey' | 'sortKey'> {
  const attribute = (keyType: 'HASH' | 'RANGE'): dynamodb.Attribute => {
    const name = TABLE_KEY_SCHEMA.KeySchema.find((k) => k.KeyType === keyType)!.AttributeName;
    const type = TABLE_KEY_SCHEMA.AttributeDefinitions.find((a) => a.AttributeName === name)!.AttributeType;
    return { name, type: type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER };
  };
  return { partitionKey: attribute('HASH'), sortKey: attribute('RANGE') };
}
