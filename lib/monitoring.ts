import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface FailoverMonitoringProps {
  readonly stateMachine: sfn.IStateMachine;
  readonly probes: readonly lambda.IFunction[];
  readonly voterIds: readonly string[];
  readonly steps: readonly lambda.IFunction[];
  readonly table: dynamodb.ITable;
  readonly alarmActions: readonly cloudwatch.IAlarmAction[];
}

export interface FailoverAlarms {
  /** An execution failed: an abort (no good replica, promotion timeout) or a step that kept failing. */
  readonly executionsFailed: cloudwatch.Alarm;
  readonly executionsTimedOut: cloudwatch.Alarm;
  /** A failover started: not an error, the event an operator wants to know about. */
  readonly failoverStarted: cloudwatch.Alarm;
  /** A probe invocation failed (cannot reach the table, a bad config, a crash): a voter is missing. */
  readonly probeErrors: cloudwatch.Alarm;
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
    this.alarms = {
      executionsFailed: atLeastOnce('ExecutionsFailedAlarm', machine.metricFailed({ period: MINUTE, statistic: 'Sum' }), 'redis-failover: a failover execution failed (aborted, or a step kept failing): see the Step Functions console'),
      executionsTimedOut: atLeastOnce('ExecutionsTimedOutAlarm', machine.metricTimedOut({ period: MINUTE, statistic: 'Sum' }), 'redis-failover: a failover execution timed out'),
      failoverStarted: atLeastOnce('FailoverStartedAlarm', machine.metricStarted({ period: MINUTE, statistic: 'Sum' }), 'redis-failover: a failover started (the voters reached ODOWN, or a manual failover)'),
      probeErrors: atLeastOnce('ProbeErrorsAlarm', probeErrors, 'redis-failover: a probe invocation failed; that voter is not voting'),
    };

    const perProbe = (metric: (fn: lambda.IFunction) => cloudwatch.Metric): cloudwatch.Metric[] => props.probes.map(metric);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 6, height: 6 }),
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
            title: 'Step functions: errors',
            width: 8,
            left: props.steps.map((fn) => fn.metricErrors({ period: MINUTE, statistic: 'Sum' })),
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

function withLabel(metric: cloudwatch.Metric, label: string): cloudwatch.Metric {
  return metric.with({ label });
}
