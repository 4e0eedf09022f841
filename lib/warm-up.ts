/**
 * Keeps the failover's functions warm between failovers. A step that has not run for a while
 * starts in a new container (a cold start: the runtime, then the bundle and the SDK loaded), and a
 * failover after a quiet week would pay that at every step. Each function gets a warm-up invocation
 * every interval (lambdas/runtime/aws/step.ts answers it at once); a function that runs several at
 * once in a failover gets that many, each holding its container a moment so they land on distinct
 * ones.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { acknowledge, invokeWildcardFinding } from './nag.ts';

export interface WarmUpTarget {
  /** Part of the schedule's id and description. */
  readonly name: string;
  readonly fn: lambda.IFunction;
  /** Containers to keep warm: the most invocations a failover runs at once. */
  readonly concurrency: number;
}

export interface WarmUpProps {
  readonly targets: readonly WarmUpTarget[];
  /** @default Duration.minutes(5) */
  readonly interval?: Duration;
}

/** How long each of several warm-ups of one function holds its container. */
const WARM_UP_HOLD_MS = 500;

export class WarmUp extends Construct {
  readonly schedules: readonly scheduler.Schedule[];

  constructor(scope: Construct, id: string, props: WarmUpProps) {
    super(scope, id);
    const interval = props.interval ?? Duration.minutes(5);
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: 'EventBridge Scheduler: warm-up invocations of the redis-failover step functions',
    });
    const schedules: scheduler.Schedule[] = [];
    for (const target of props.targets) {
      for (let i = 0; i < target.concurrency; i++) {
        const input = target.concurrency > 1 ? { warmup: true, holdMs: WARM_UP_HOLD_MS } : { warmup: true };
        schedules.push(
          new scheduler.Schedule(this, `${target.name}${i === 0 ? '' : i + 1}`, {
            schedule: scheduler.ScheduleExpression.rate(interval),
            description: `redis-failover: keeps ${target.name} warm${target.concurrency > 1 ? ` (${i + 1} of ${target.concurrency})` : ''}`,
            target: new targets.LambdaInvoke(target.fn, {
              role,
              input: scheduler.ScheduleTargetInput.fromObject(input),
              retryAttempts: 0,
              maxEventAge: Duration.minutes(1),
            }),
          }),
        );
      }
      acknowledge(
        role,
        invokeWildcardFinding(target.fn),
        'grantInvoke covers the step function and its qualified ARNs (versions, aliases) of that one function.',
      );
    }
    this.schedules = schedules;
  }
}
