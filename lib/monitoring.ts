import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { FailoverDashboard } from './dashboard.ts';
import { MINUTE, ownMetric } from './own-metrics.ts';

export interface FailoverMonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly probes: readonly lambda.Function[];
  readonly voterIds: readonly string[];
  /** The master groups the voters watch: one row of the dashboard each. */
  readonly masterNames: readonly string[];
  /** The workflow's functions, by the step they run. */
  readonly steps: Readonly<Record<string, lambda.Function>>;
  readonly table: dynamodb.ITable;
  /** The rule that delivers `+switch-master` to its topic. */
  readonly switchMasterRule: events.IRule;
  readonly alarmActions: readonly cloudwatch.IAlarmAction[];
}

/** The alarms of the stack, each with its missing-data treatment and the construct's `alarmActions`. */
export interface FailoverAlarms {
  /** A failover gave up (`-failover-abort-<reason>`: no good replica, the promotion timed out); the master is still down. */
  readonly failoversAborted: cloudwatch.Alarm;
  /** An execution failed: an abort (no good replica, promotion timeout) or a step that kept failing. */
  readonly executionsFailed: cloudwatch.Alarm;
  /** An execution ran past the state machine's timeout (the longest lease plus a minute) and was stopped. */
  readonly executionsTimedOut: cloudwatch.Alarm;
  /** A failover started (a leader won an epoch: `+try-failover`): not an error, the event an operator wants to know about. */
  readonly failoverStarted: cloudwatch.Alarm;
  /** A probe invocation failed (cannot reach the table, a bad config, a crash): a voter is missing. */
  readonly probeErrors: cloudwatch.Alarm;
  /** A voter ticked less than once in two minutes (schedule disabled, throttled, failing to start): missing data breaches. One per voter. */
  readonly probeHeartbeats: readonly cloudwatch.Alarm[];
  /** A voter's tick failed: it could not reach the table or the bus, so it decides nothing. */
  readonly probeTickErrors: cloudwatch.Alarm;
  /** A probe invocation was throttled: two already run (the handover), or the account is out of concurrency. */
  readonly probeThrottles: cloudwatch.Alarm;
  /** The `+switch-master` rule could not deliver to its topic. */
  readonly switchMasterDeliveryFailed: cloudwatch.Alarm;
}

/**
 * Alarms on what an operator must hear about, and the dashboard (lib/dashboard.ts). The alarms
 * are made here, not by cdk-monitoring-constructs: its alarm factory gives each alarm a fixed
 * name (two stacks in one account collide unless each is given a prefix), and a test makes
 * each of these fire from what the deployed functions write (test/aws/).
 */
export class FailoverMonitoring extends Construct {
  readonly alarms: FailoverAlarms;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: FailoverMonitoringProps) {
    super(scope, id);
    const machine = props.stateMachine;
    const atLeastOnce = (alarmId: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(...props.alarmActions);
      return alarm;
    };
    const probeErrors = new cloudwatch.MathExpression({
      label: 'Probe errors',
      expression: props.probes.map((_, i) => `p${i}`).join(' + '),
      usingMetrics: Object.fromEntries(props.probes.map((fn, i) => [`p${i}`, fn.metricErrors({ period: MINUTE, statistic: 'Sum' })])),
      period: MINUTE,
    });
    const sumOf = (label: string, metrics: readonly cloudwatch.IMetric[]) =>
      new cloudwatch.MathExpression({
        label,
        expression: metrics.map((_, i) => `m${i}`).join(' + '),
        usingMetrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])),
        period: MINUTE,
      });
    const voterMetric = (name: string, voter: string) => ownMetric(name, { Voter: voter });
    /** A failover metric over every group (written with no dimension, lambdas/adapters/metrics.ts perGroup). */
    const stackMetric = (name: string) => ownMetric(name, {});
    const probeHeartbeats = props.voterIds.map((voter, i) => {
      const alarm = new cloudwatch.Alarm(this, `ProbeHeartbeat${i + 1}Alarm`, {
        metric: voterMetric('Ticks', voter),
        threshold: 1,
        evaluationPeriods: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data is the failure itself: a probe that never runs sends none.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: `redis-failover: voter ${voter} has not watched for two minutes (its probe is not running): the quorum is short of it`,
      });
      alarm.addAlarmAction(...props.alarmActions);
      return alarm;
    });
    this.alarms = {
      probeHeartbeats,
      probeTickErrors: atLeastOnce(
        'ProbeTickErrorsAlarm',
        sumOf(
          'Failed ticks',
          props.voterIds.map((voter) => voterMetric('TickErrors', voter)),
        ),
        'redis-failover: a voter could not reach the table or the bus: it takes no decision until it can',
      ),
      probeThrottles: atLeastOnce(
        'ProbeThrottlesAlarm',
        sumOf(
          'Probe throttles',
          props.probes.map((fn) => fn.metricThrottles({ period: MINUTE, statistic: 'Sum' })),
        ),
        'redis-failover: a probe invocation was throttled (out of concurrency?)',
      ),
      switchMasterDeliveryFailed: atLeastOnce(
        'SwitchMasterDeliveryFailedAlarm',
        new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          dimensionsMap: { RuleName: props.switchMasterRule.ruleName },
          period: MINUTE,
          statistic: 'Sum',
        }),
        'redis-failover: +switch-master could not be delivered to its SNS topic',
      ),
      executionsFailed: atLeastOnce(
        'ExecutionsFailedAlarm',
        machine.metricFailed({ period: MINUTE, statistic: 'Sum' }),
        'redis-failover: a failover execution failed (aborted, or a step kept failing): see the Step Functions console',
      ),
      executionsTimedOut: atLeastOnce(
        'ExecutionsTimedOutAlarm',
        machine.metricTimedOut({ period: MINUTE, statistic: 'Sum' }),
        'redis-failover: a failover execution timed out',
      ),
      failoverStarted: atLeastOnce(
        'FailoverStartedAlarm',
        stackMetric('FailoversStarted'),
        'redis-failover: a failover started (the voters reached ODOWN, or a manual failover)',
      ),
      failoversAborted: atLeastOnce(
        'FailoversAbortedAlarm',
        stackMetric('FailoversAborted'),
        'redis-failover: a failover gave up (no good replica, or the promotion timed out): the master is still down; the event names the reason',
      ),
      probeErrors: atLeastOnce(
        'ProbeErrorsAlarm',
        probeErrors,
        'redis-failover: a probe invocation failed (a bad config, a crash, no session in the table): that voter is not voting',
      ),
    };

    this.dashboard = new FailoverDashboard(this, 'Dashboard', {
      masterNames: props.masterNames,
      voterIds: props.voterIds,
      probes: props.probes,
      steps: props.steps,
      stateMachine: machine,
      table: props.table,
      switchMasterRule: props.switchMasterRule,
      alarms: Object.values(this.alarms).flat(),
    }).dashboard;
  }
}
