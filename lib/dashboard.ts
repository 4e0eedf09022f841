import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DefaultDashboards, MonitoringFacade, type IDynamicDashboardFactory, type IDynamicDashboardSegment } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { MINUTE, ownMetric } from './own-metrics.ts';

export interface FailoverDashboardProps {
  /** The master groups the voters watch: a section of the dashboard each, at the top. */
  readonly masterNames: readonly string[];
  readonly voterIds: readonly string[];
  /** One per voter, in the order of `voterIds`. */
  readonly probes: readonly lambda.Function[];
  /** The workflow's functions, by the step they run. */
  readonly steps: Readonly<Record<string, lambda.Function>>;
  readonly stateMachine: sfn.IStateMachine;
  /** On demand (lib/redis-failover.ts), so its graphs show consumed capacity, not utilisation. */
  readonly table: dynamodb.ITable;
  readonly switchMasterRule: events.IRule;
  /** Shown first, with their state. */
  readonly alarms: readonly cloudwatch.IAlarm[];
}

/**
 * The dashboard an operator opens at 3 a.m.: each master group's story first (its last events,
 * failovers, detection and phase times, the voters watching it), then the alarms, then each
 * part's health as cdk-monitoring-constructs lays it out (the workflow, the probes, the steps,
 * the table, the delivery of `+switch-master`).
 */
export class FailoverDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: FailoverDashboardProps) {
    super(scope, id);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    // The facade makes no alarm here (lib/monitoring.ts does: see there why), so its alarm defaults are never used.
    const facade = new MonitoringFacade(this, 'Facade', {
      dashboardFactory: new UnnamedDashboard(this.dashboard),
      alarmFactoryDefaults: { actionsEnabled: false, alarmNamePrefix: 'unused' },
    });
    const logGroups = [...props.probes, ...Object.values(props.steps)].map((fn) => fn.logGroup.logGroupName);

    for (const master of props.masterNames) {
      facade.addLargeHeader(`Master group ${master}`);
      facade.addWidget(storyWidget(master, logGroups));
      facade.monitorCustom({
        alarmFriendlyName: `Group-${master}`,
        humanReadableName: `${master}: failovers and voters`,
        metricGroups: groupMetrics(master, props.voterIds),
      });
    }

    facade.addLargeHeader('Alarms');
    facade.addWidget(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 6 }));

    facade.addLargeHeader('The workflow');
    facade.monitorStepFunction({ stateMachine: props.stateMachine, humanReadableName: 'Failover workflow (executions)', alarmFriendlyName: 'Workflow' });
    facade.monitorCustom({
      alarmFriendlyName: 'Steps',
      humanReadableName: 'Steps at a glance',
      metricGroups: [
        { title: 'Step errors', metrics: Object.entries(props.steps).map(([step, fn]) => fn.metricErrors({ period: MINUTE, statistic: 'Sum', label: step })) },
        // A cold step is what the warm-ups are there to prevent (lambdas/runtime/aws/step.ts).
        {
          title: 'Steps that waited for a cold start',
          metrics: Object.entries(props.steps).map(([step, fn]) => ownMetric('StepColdStarts', { Function: fn.functionName }).with({ label: step })),
        },
      ],
    });
    facade.monitorCustom({
      alarmFriendlyName: 'SwitchMasterDelivery',
      humanReadableName: '+switch-master delivery (EventBridge rule to the SNS topic)',
      metricGroups: [
        {
          title: 'Deliveries',
          metrics: (['MatchedEvents', 'Invocations', 'FailedInvocations'] as const).map(
            (name) =>
              new cloudwatch.Metric({
                namespace: 'AWS/Events',
                metricName: name,
                dimensionsMap: { RuleName: props.switchMasterRule.ruleName },
                period: MINUTE,
                statistic: 'Sum',
                label: name,
              }),
          ),
        },
      ],
    });

    // No function here reads a stream, so the library's iterator-age graph would only be empty.
    const lambdaFunction = (fn: lambda.IFunction, humanReadableName: string, alarmFriendlyName: string) =>
      facade.monitorLambdaFunction({ lambdaFunction: fn, humanReadableName, alarmFriendlyName, isIterator: false });
    facade.addLargeHeader('The probes');
    props.probes.forEach((fn, i) => {
      const voter = props.voterIds[i] ?? `${i + 1}`;
      lambdaFunction(fn, `Probe of voter ${voter}`, `Probe-${voter}`);
    });

    facade.addLargeHeader('The steps');
    for (const [step, fn] of Object.entries(props.steps)) lambdaFunction(fn, `Step ${step}`, `Step-${step}`);

    facade.addLargeHeader('The table');
    facade.monitorDynamoTable({
      table: props.table,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      humanReadableName: 'Table (master of record, votes, leases)',
      alarmFriendlyName: 'Table',
    });
  }
}

/**
 * The library's own factory needs a dashboard name prefix: a fixed physical name, so two stacks
 * in one account collide. This one fills a dashboard CloudFormation names.
 */
class UnnamedDashboard implements IDynamicDashboardFactory {
  constructor(private readonly dashboard: cloudwatch.Dashboard) {}

  addDynamicSegment(segment: IDynamicDashboardSegment): void {
    this.dashboard.addWidgets(...segment.widgetsForDashboard(DefaultDashboards.DETAIL));
  }

  getDashboard(type: string): cloudwatch.Dashboard | undefined {
    return type === DefaultDashboards.DETAIL ? this.dashboard : undefined;
  }
}

/** A group's story from the functions' logs: the master it switched to, the last failover's events in order. */
function storyWidget(master: string, logGroupNames: readonly string[]): cloudwatch.IWidget {
  // Master names are DNS-label-like (core/config.ts), so they need no escaping in the query.
  const query = [
    'fields @timestamp, sentinel, voter',
    `| filter master = '${master}' and ispresent(event) and event not in ['+sdown', '-sdown', '+fix-dns-record']`,
    '| sort @timestamp desc',
    '| limit 30',
  ].join('\n');
  return new cloudwatch.LogQueryWidget({
    title: `${master}: its last events (the master it switched to, the last failover's phases)`,
    width: 24,
    height: 8,
    logGroupNames: [...logGroupNames],
    queryString: query,
    view: cloudwatch.LogQueryVisualizationType.TABLE,
  });
}

/** How often a group failed over and how long it took, and which voters are watching it. */
function groupMetrics(master: string, voterIds: readonly string[]) {
  const group = (name: string, statistic: string, dimensions: Record<string, string> = {}) => ownMetric(name, { Master: master, ...dimensions }, statistic);
  return [
    {
      title: 'Failovers',
      metrics: [
        group('FailoversStarted', 'Sum').with({ label: 'started' }),
        group('FailoversSucceeded', 'Sum').with({ label: 'succeeded' }),
        group('FailoversAborted', 'Sum').with({ label: 'aborted' }),
      ],
    },
    {
      title: 'Detection and failover time (ms)',
      metrics: [
        group('DetectionTime', 'Maximum').with({ label: 'first +sdown → failover started' }),
        group('FailoverDuration', 'Maximum').with({ label: 'failover started → +switch-master' }),
        ...(['select-slave', 'promote', 'reconf-slaves'] as const).map((phase) => group('PhaseDuration', 'Maximum', { Phase: phase }).with({ label: phase })),
      ],
    },
    { title: 'Voters watching (ticks a minute)', metrics: voterIds.map((voter) => group('Ticks', 'Sum', { Voter: voter }).with({ label: voter })) },
    {
      title: 'PING latency, slowest a second (ms)',
      metrics: voterIds.map((voter) => group('PingLatency', 'Maximum', { Voter: voter }).with({ label: voter })),
    },
  ];
}
