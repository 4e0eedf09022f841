import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { executionRole, type LogGroupOptions } from './function-defaults.ts';
import { handlerFunction } from './handler-function.ts';
import { acknowledge, invokeWildcardFinding } from './nag.ts';
import { PROBE_HANDLER } from './steps.ts';

/** EventBridge Scheduler's smallest rate, and the default interval between two starts of each probe. */
export const PROBE_RATE = Duration.minutes(1);

/**
 * Each invocation watches until the next one has taken over (lambdas/runtime/probe-session.ts), so
 * it must be able to outlive the interval: twice the interval covers one missed start. Lambda's
 * own limit is 15 minutes.
 */
function probeTimeout(interval: Duration): Duration {
  return Duration.seconds(Math.min(900, 2 * interval.toSeconds()));
}

/** `rate(1 minute)`, `rate(5 minutes)`; below a minute `rate(3 seconds)`, which only the simulation runs. */
function probeRateExpression(interval: Duration): string {
  const seconds = interval.toSeconds();
  if (seconds % 60 === 0) return `rate(${seconds / 60} ${seconds === 60 ? 'minute' : 'minutes'})`;
  return `rate(${seconds} ${seconds === 1 ? 'second' : 'seconds'})`;
}

export interface ProbesProps {
  readonly vpc: ec2.IVpc;
  /** One probe per subnet: each is a distinct voter. */
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** TABLE_NAME, STATE_MACHINE_ARN, EVENT_BUS_NAME, REDIS_FAILOVER_CONFIG, REDIS_TLS (VOTER_ID is added per probe). */
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly logGroups: LogGroupOptions;
  /** How often each probe is started (see RedisFailoverProps.probeInterval). */
  readonly interval: Duration;
  /** @default lambda.Tracing.DISABLED */
  readonly tracing?: lambda.Tracing;
}

/** The voter of one probe: its subnet's availability zone, or the subnet id when the zone is unknown. */
function voterIdOf(subnet: ec2.ISubnet): string {
  try {
    return subnet.availabilityZone;
  } catch {
    return subnet.subnetId;
  }
}

/**
 * One probe function per subnet, each started every interval by EventBridge Scheduler. Reserved
 * concurrency 2: the next invocation starts while the previous one still watches, takes the
 * voter over from it through the table, and only then does the previous one stop, so no second
 * of the minute goes unwatched and one voter never acts twice at once. A third start (the
 * scheduler delivers at least once) waits in Lambda's queue, then gives way to the next one.
 */
export class Probes extends Construct {
  readonly functions: readonly lambda.Function[];
  readonly schedules: readonly scheduler.Schedule[];
  /** VOTER_ID of each function, in order. */
  readonly voterIds: readonly string[];

  constructor(scope: Construct, id: string, props: ProbesProps) {
    super(scope, id);
    const functions: lambda.Function[] = [];
    const schedules: scheduler.Schedule[] = [];
    this.voterIds = props.subnets.map(voterIdOf);
    const seconds = props.interval.toSeconds();
    if (seconds % 60 !== 0) {
      Annotations.of(this).addWarningV2(
        'redis-failover:probeInterval',
        `probeInterval is ${seconds} s: EventBridge Scheduler starts functions at most once a minute, in whole minutes, so this stack cannot be deployed; it is for the simulation of the deployed stack (redis-failover bench --runtime aws)`,
      );
    }
    // One role for every schedule, allowed to invoke the probes only, on behalf of this account only.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'EventBridge Scheduler: starts the redis-failover probes',
    });
    props.subnets.forEach((subnet, i) => {
      const name = `Probe${i + 1}`;
      const voterId = this.voterIds[i]!;
      const logGroup = new logs.LogGroup(this, `${name}Logs`, props.logGroups);
      const fn = handlerFunction(this, name, {
        handlerFile: PROBE_HANDLER,
        memorySize: props.memorySize,
        timeout: probeTimeout(props.interval),
        reservedConcurrentExecutions: 2,
        vpc: props.vpc,
        vpcSubnets: { subnets: [subnet] },
        securityGroups: [props.securityGroup],
        ...(props.tracing && { tracing: props.tracing }),
        logGroup,
        role: executionRole(this, `${name}Role`, { logGroup, inVpc: true }),
        description: `redis-failover voter ${i + 1}: probes every master, each invocation until the next one takes over`,
        environment: { ...props.environment, VOTER_ID: voterId, PROBE_INTERVAL_MS: String(seconds * 1000), NODE_OPTIONS: '--enable-source-maps' },
      });
      // A missed start is not worth catching up: the previous invocation still watches, the next start is on its way.
      const maxEventAge = Duration.seconds(Math.max(60, seconds));
      fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge });
      const dropped =
        'A probe start that cannot run is dropped on purpose: the invocation before it still watches until the next start takes over, and the voter heartbeat alarm (missing data breaching) pages when starts keep failing. A queue of stale starts would add nothing.';
      acknowledge(fn, 'Serverless-LambdaDLQ', dropped);
      acknowledge(fn, 'Serverless-LambdaAsyncFailureDestination', dropped);
      functions.push(fn);
      schedules.push(
        new scheduler.Schedule(this, `${name}Schedule`, {
          schedule: scheduler.ScheduleExpression.expression(probeRateExpression(props.interval)),
          description: `redis-failover voter ${i + 1}: starts its probe ${seconds === 60 ? 'every minute' : `every ${props.interval.toHumanString()}`}`,
          target: new targets.LambdaInvoke(fn, { role: scheduleRole, retryAttempts: 0, maxEventAge }),
        }),
      );
      acknowledge(
        scheduleRole,
        invokeWildcardFinding(fn),
        'grantInvoke covers the probe function and its qualified ARNs (versions, aliases) of that one function.',
      );
    });
    this.functions = functions;
    this.schedules = schedules;
  }
}
