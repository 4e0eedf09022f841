/** The alarms of lib/monitoring.ts on the synthesized template: each one's metric, threshold and missing-data treatment. */
import { describe, expect, it } from 'vitest';
import { leaseMs } from '../../lambdas/runtime/leadership.ts';
import { RedisFailoverStack } from '../../lib/failover-stack.ts';
import { stackPropsFromContext } from '../../lib/app-context.ts';
import { Synthesized, testApp } from './support.ts';

const existingVpc = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
};
const masters = [
  { name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 },
  { name: 'slow', host: '10.20.2.10', port: 6379, quorum: 2, failoverTimeoutMs: 240_000 },
];

function synth(extra: Partial<ConstructorParameters<typeof RedisFailoverStack>[2]> = {}) {
  const stack = new RedisFailoverStack(testApp(), 'Test', { existingVpc, config: { masters }, ...extra });
  return { s: new Synthesized(stack), f: stack.failover };
}

describe('alarms', () => {
  const { s, f } = synth();
  const props = (alarm: object) => s.props(s.idOf(alarm as never));

  it("alarm on each voter's heartbeat: fewer than one tick a minute for two minutes, no data counting as none", () => {
    expect(f.alarms.probeHeartbeats).toHaveLength(3);
    f.alarms.probeHeartbeats.forEach((alarm, i) => {
      expect(props(alarm)).toMatchObject({
        Namespace: 'RedisFailover',
        MetricName: 'Ticks',
        Dimensions: [{ Name: 'Voter', Value: existingVpc.availabilityZones[i] }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
      });
    });
  });

  it('alarm on any failed tick, on probe throttles and on +switch-master deliveries that failed', () => {
    const ticks = props(f.alarms.probeTickErrors);
    expect(ticks).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    const metrics = ticks.Metrics as Array<{
      Expression?: string;
      MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Value: unknown }> } };
    }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('m0 + m1 + m2');
    expect(
      metrics
        .filter((m) => m.MetricStat)
        .map((m) => [m.MetricStat!.Metric.Namespace, m.MetricStat!.Metric.MetricName, m.MetricStat!.Metric.Dimensions[0]!.Value]),
    ).toEqual(existingVpc.availabilityZones.map((zone) => ['RedisFailover', 'TickErrors', zone]));
    expect(JSON.stringify(props(f.alarms.probeThrottles).Metrics)).toContain('"MetricName":"Throttles"');
    expect(props(f.alarms.switchMasterDeliveryFailed)).toMatchObject({
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: s.idOf(f.switchMasterRule) } }],
      TreatMissingData: 'notBreaching',
    });
  });

  it('give the state machine a timeout, the longest lease plus a minute, so ExecutionsTimedOut can fire', () => {
    const definition = JSON.stringify(s.props(s.idOf(f.stateMachine)).DefinitionString);
    // The validated config's defaults (wait-start included), as the construct sees them.
    const longest = Math.ceil(Math.max(...f.config.masters.map((m) => leaseMs(m))) / 1000) + 60;
    expect(longest).toBeGreaterThan(Math.ceil(leaseMs(f.config.masters[0]!) / 1000) + 60);
    expect(definition).toContain(`\\"TimeoutSeconds\\":${longest}`);
  });

  it('notify the topic -c alarmTopicArn names, and -c alarmEmail through a topic of its own', () => {
    const fromContext = stackPropsFromContext({
      tryGetContext: (key) => ({ alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:pager', alarmEmail: 'oncall@example.com' })[key],
    });
    const { s: paged, f: failover } = synth({ alarmTopicArn: fromContext.alarmTopicArn, alarmEmail: fromContext.alarmEmail });
    const [[topicId]] = paged.ofType('AWS::SNS::Topic').filter(([id]) => id.startsWith('AlarmTopic')) as [[string, unknown]];
    expect(paged.ofType('AWS::SNS::Subscription').map(([, r]) => r.Properties)).toContainEqual(
      expect.objectContaining({ Protocol: 'email', Endpoint: 'oncall@example.com' }),
    );
    for (const alarm of Object.values(failover.alarms).flat()) {
      expect(paged.props(paged.idOf(alarm)).AlarmActions).toEqual(['arn:aws:sns:eu-west-1:111122223333:pager', { Ref: topicId }]);
    }
    expect(() => stackPropsFromContext({ tryGetContext: (key) => ({ alarmEmail: 'nobody' })[key] })).toThrow(
      '-c alarmEmail: "nobody" is not an e-mail address',
    );
  });
});
