import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/adapters/metrics.ts';

export interface FailoverMonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly probes: readonly lambda.IFunction[];
  readonly voterIds: readonly string[];
  /** The master groups the voters watch: one row of the dashboard each. */
  readonly masterNames: readonly string[];
  readonly steps: readonly lambda.IFunction[];
  readonly table: dynamodb.ITable;
  /** The rule that delivers `+switch-master` to its topic. */
  readonly switchMasterRule: events.IRule;
  readonly alarmActions: readonly cloudwatch.IAlarmAction[];
}

export interface FailoverAlarms {
  /** A failover gave up (`-failover-abort-<reason>`: no good replica, the promotion timed out); the master is still down. */
  readonly failoversAborted: cloudwatch.Alarm;
  /** An execution failed: an abort (no good replica, promotion timeout) or a step that kept failing. */
  readonly executionsFailed: cloudwatch.Alarm;
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

const MINUTE = Duration.minutes(1);

/** Alarms on what an operator must hear about, and one dashboard. */
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
      new cloudwatch.MathExpression({ label, expression: metrics.map((_, i) => `m${i}`).join(' + '), usingMetrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])), period: MINUTE });
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
      probeTickErrors: atLeastOnce('ProbeTickErrorsAlarm', sumOf('Failed ticks', props.voterIds.map((voter) => voterMetric('TickErrors', voter))), 'redis-failover: a voter could not reach the table or the bus: it takes no decision until it can'),
      probeThrottles: atLeastOnce('ProbeThrottlesAlarm', sumOf('Probe throttles', props.probes.map((fn) => fn.metricThrottles({ period: MINUTE, statistic: 'Sum' }))), 'redis-failover: a probe invocation was throttled (out of concurrency?)'),
      switchMasterDeliveryFailed: atLeastOnce(
        'SwitchMasterDeliveryFailedAlarm',
        new cloudwatch.Metric({ namespace: 'AWS/Events', metricName: 'FailedInvocations', dimensionsMap: { RuleName: props.switchMasterRule.ruleName }, period: MINUTE, statistic: 'Sum' }),
        'redis-failover: +switch-master could not be delivered to its SNS topic',
      ),
      executionsFailed: atLeastOnce('ExecutionsFailedAlarm', machine.metricFailed({ period: MINUTE, statistic: 'Sum' }), 'redis-failover: a failover execution failed (aborted, or a step kept failing): see the Step Functions console'),
      executionsTimedOut: atLeastOnce('ExecutionsTimedOutAlarm', machine.metricTimedOut({ period: MINUTE, statistic: 'Sum' }), 'redis-failover: a failover execution timed out'),
      failoverStarted: atLeastOnce('FailoverStartedAlarm', stackMetric('FailoversStarted'), 'redis-failover: a failover started (the voters reached ODOWN, or a manual failover)'),
      failoversAborted: atLeastOnce('FailoversAbortedAlarm', stackMetric('FailoversAborted'), 'redis-failover: a failover gave up (no good replica, or the promotion timed out): the master is still down; the event names the reason'),
      probeErrors: atLeastOnce('ProbeErrorsAlarm', probeErrors, 'redis-failover: a probe invocation failed (a bad config, a crash, no session in the table): that voter is not voting'),
    };

    const perProbe = (metric: (fn: lambda.IFunction) => cloudwatch.Metric): cloudwatch.Metric[] => props.probes.map(metric);
    const logGroups = [...props.probes, ...props.steps].map((fn) => (fn as lambda.Function).logGroup?.logGroupName).filter((name): name is string => name !== undefined);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        ...props.masterNames.map((master) => groupRow(master, props.voterIds, logGroups)),
        [
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms).flat(), width: 6, height: 6 }),
          new cloudwatch.GraphWidget({
            title: 'Failovers (executions)',
            width: 9,
            left: [
              machine.metricStarted({ period: MINUTE, statistic: 'Sum', label: 'started' }),
              machine.metricSucceeded({ period: MINUTE, statistic: 'Sum', label: 'succeeded' }),
              machine.metricFailed({ period: MINUTE, statistic: 'Sum', label: 'failed' }),
              machine.metricTimedOut({ period: MINUTE, statistic: 'Sum', label: 'timed out' }),
            ],
          }),
          new cloudwatch.GraphWidget({ title: 'Failover duration', width: 9, left: [machine.metricTime({ period: MINUTE, statistic: 'Maximum', label: 'execution time (max)' })] }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Probes: errors and throttles',
            width: 8,
            left: perProbe((fn) => fn.metricErrors({ period: MINUTE, statistic: 'Sum' })).map((m, i) => withLabel(m, `errors ${props.voterIds[i] ?? i + 1}`)),
            right: perProbe((fn) => fn.metricThrottles({ period: MINUTE, statistic: 'Sum' })).map((m, i) => withLabel(m, `throttles ${props.voterIds[i] ?? i + 1}`)),
          }),
          new cloudwatch.GraphWidget({
            title: 'Probes: invocations',
            width: 8,
            left: perProbe((fn) => fn.metricInvocations({ period: Duration.minutes(5), statistic: 'Sum' })).map((m, i) => withLabel(m, `${props.voterIds[i] ?? i + 1}`)),
          }),
          new cloudwatch.GraphWidget({
            title: 'Step functions: errors, and steps that waited for a cold start',
            width: 8,
            left: props.steps.map((fn) => fn.metricErrors({ period: MINUTE, statistic: 'Sum' })),
            // A cold step is what the warm-ups are there to prevent (lambdas/runtime/aws/step.ts).
            right: props.steps.map((fn) => ownMetric('StepColdStarts', { Function: fn.functionName })),
          }),
        ],
        [
          new cloudwatch.GraphWidget({ title: 'Table: throttled requests', width: 8, left: [props.table.metricThrottledRequestsForOperations({ period: MINUTE })] }),
          new cloudwatch.GraphWidget({ title: 'Table: system errors', width: 8, left: [props.table.metricSystemErrorsForOperations({ period: MINUTE })] }),
          new cloudwatch.GraphWidget({
            title: 'Table: consumed capacity',
            width: 8,
            left: [props.table.metricConsumedReadCapacityUnits({ period: MINUTE }), props.table.metricConsumedWriteCapacityUnits({ period: MINUTE })],
          }),
        ],
      ],
    });
  }
}

/**
 * One master group at a glance: its story from the functions' logs (the master it switched to,
 * the last failover's events in order), how long failovers and their phases took, and which
 * voters are watching it.
 */
function groupRow(master: string, voterIds: readonly string[], logGroupNames: readonly string[]): cloudwatch.IWidget[] {
  const group = (name: string, statistic: string, dimensions: Record<string, string> = {}) => ownMetric(name, { Master: master, ...dimensions }, statistic);
  // Master names are DNS-label-like (core/config.ts), so they need no escaping in the query.
  const story = [
    'fields @timestamp, sentinel, voter',
    `| filter master = '${master}' and ispresent(event) and event not in ['+sdown', '-sdown', '+fix-dns-record']`,
    '| sort @timestamp desc',
    '| limit 30',
  ].join('\n');
  return [
    new cloudwatch.LogQueryWidget({
      title: `${master}: its last events (the master it switched to, the last failover's phases)`,
      width: 10,
      height: 8,
      logGroupNames: [...logGroupNames],
      queryString: story,
      view: cloudwatch.LogQueryVisualizationType.TABLE,
    }),
    new cloudwatch.GraphWidget({
      title: `${master}: failovers`,
      width: 5,
      height: 8,
      left: [group('FailoversStarted', 'Sum').with({ label: 'started' }), group('FailoversSucceeded', 'Sum').with({ label: 'succeeded' }), group('FailoversAborted', 'Sum').with({ label: 'aborted' })],
    }),
    new cloudwatch.GraphWidget({
      title: `${master}: detection and failover time (ms)`,
      width: 5,
      height: 8,
      left: [
        group('DetectionTime', 'Maximum').with({ label: 'first +sdown → failover started' }),
        group('FailoverDuration', 'Maximum').with({ label: 'failover started → +switch-master' }),
        ...(['select-slave', 'promote', 'reconf-slaves'] as const).map((phase) => group('PhaseDuration', 'Maximum', { Phase: phase }).with({ label: phase })),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: `${master}: voters watching (ticks a minute) and PING latency`,
      width: 4,
      height: 8,
      left: voterIds.map((voter) => group('Ticks', 'Sum', { Voter: voter }).with({ label: voter })),
      right: voterIds.map((voter) => group('PingLatency', 'Maximum', { Voter: voter }).with({ label: `${voter} PING (ms)` })),
    }),
  ];
}

/** One of the functions' own metrics (lambdas/adapters/metrics.ts), a minute at a time; no dimension is the sum over every group. */
function ownMetric(name: string, dimensionsMap: Record<string, string>, statistic = 'Sum'): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, ...(Object.keys(dimensionsMap).length > 0 && { dimensionsMap }), period: MINUTE, statistic });
}

function withLabel(metric: cloudwatch.Metric, label: string): cloudwatch.Metric {
  return metric.with({ label });
}
