import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { executionRole, LAMBDA_ARCHITECTURE, LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './function-defaults.ts';
import { acknowledge, invokeWildcardFinding } from './nag.ts';
import { PROBE_ENTRY } from './steps.ts';

/** The probe loops until 3 s before its timeout (lambdas/probe.ts), so one invocation covers the minute. */
export const PROBE_TIMEOUT = Duration.seconds(60);
export const PROBE_RATE = Duration.minutes(1);

export interface ProbesProps {
  readonly vpc: ec2.IVpc;
  /** One probe per subnet: each is a distinct voter. */
  readonly subnets: readonly ec2.ISubnet[];
  readonly securityGroup: ec2.ISecurityGroup;
  /** TABLE_NAME, STATE_MACHINE_ARN, EVENT_BUS_NAME, REDIS_FAILOVER_CONFIG, REDIS_TLS (VOTER_ID is added per probe). */
  readonly environment: Readonly<Record<string, string>>;
  readonly memorySize: number;
  readonly logRetention: logs.RetentionDays;
}

/** The voter of one probe: its subnet's availability zone, or the subnet id when the zone is unknown. */
export function voterIdOf(subnet: ec2.ISubnet): string {
  try {
    return subnet.availabilityZone;
  } catch {
    return subnet.subnetId;
  }
}

/**
 * One probe function per subnet, each started every minute by EventBridge Scheduler. Reserved
 * concurrency 1: two invocations of one voter never overlap (a start that finds the previous one
 * still running waits in Lambda's queue, at most a minute, then gives way to the next schedule).
 */
export class Probes extends Construct {
  readonly functions: readonly NodejsFunction[];
  readonly schedules: readonly scheduler.Schedule[];
  /** VOTER_ID of each function, in order. */
  readonly voterIds: readonly string[];

  constructor(scope: Construct, id: string, props: ProbesProps) {
    super(scope, id);
    const functions: NodejsFunction[] = [];
    const schedules: scheduler.Schedule[] = [];
    this.voterIds = props.subnets.map(voterIdOf);
    // One role for every schedule, allowed to invoke the probes only, on behalf of this account only.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'EventBridge Scheduler: starts the redis-failover probes',
    });
    props.subnets.forEach((subnet, i) => {
      const name = `Probe${i + 1}`;
      const voterId = this.voterIds[i]!;
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: props.logRetention });
      const fn = new NodejsFunction(this, name, {
        entry: PROBE_ENTRY,
        handler: 'handler',
        runtime: LAMBDA_RUNTIME,
        architecture: LAMBDA_ARCHITECTURE,
        memorySize: props.memorySize,
        timeout: PROBE_TIMEOUT,
        reservedConcurrentExecutions: 1,
        vpc: props.vpc,
        vpcSubnets: { subnets: [subnet] },
        securityGroups: [props.securityGroup],
        logGroup,
        role: executionRole(this, `${name}Role`, { logGroup, inVpc: true }),
        description: `redis-failover voter ${i + 1}: probes every master for a minute`,
        bundling: LAMBDA_BUNDLING,
        environment: { ...props.environment, VOTER_ID: voterId, NODE_OPTIONS: '--enable-source-maps' },
      });
      // A missed minute is not worth catching up: the next schedule is on its way.
      fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: PROBE_RATE });
      functions.push(fn);
      schedules.push(
        new scheduler.Schedule(this, `${name}Schedule`, {
          schedule: scheduler.ScheduleExpression.rate(PROBE_RATE),
          description: `redis-failover voter ${i + 1}: starts its probe every minute`,
          target: new targets.LambdaInvoke(fn, { role: scheduleRole, retryAttempts: 0, maxEventAge: PROBE_RATE }),
        }),
      );
      acknowledge(scheduleRole, invokeWildcardFinding(fn), 'grantInvoke covers the probe function and its qualified ARNs (versions, aliases) of that one function.');
    });
    this.functions = functions;
    this.schedules = schedules;
  }
}
