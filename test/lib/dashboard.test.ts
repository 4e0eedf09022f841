import { describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../lambdas/adapters/metrics.ts';
import { RedisFailoverStack } from '../../lib/failover-stack.ts';
import type { RedisFailover } from '../../lib/redis-failover.ts';
import { STEP_KEYS } from '../../lib/steps.ts';
import { graphedMetrics } from '../../sim/cloudwatch.ts';
import { Synthesized, testApp } from './support.ts';

const existingVpc = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidrBlock: '10.20.0.0/16',
  privateSubnetIds: ['subnet-0aaa', 'subnet-0bbb', 'subnet-0ccc'],
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  privateSubnetRouteTableIds: ['rtb-0aaa', 'rtb-0bbb', 'rtb-0ccc'],
};
const masters = [
  { name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2 },
  { name: 'sessions', host: '10.20.2.10', port: 6380, quorum: 2 },
];

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly markdown?: string; readonly query?: string; readonly alarms?: readonly string[] };
}

/** The dashboard body with its tokens (names CloudFormation fills in) left as `<token>`. */
function bodyOf(s: Synthesized, f: RedisFailover): string {
  const body = s.props(s.idOf(f.dashboard)).DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  return typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<token>')).join('');
}

describe('the dashboard', () => {
  const stack = new RedisFailoverStack(testApp(), 'Test', { existingVpc, config: { masters } });
  const f = stack.failover;
  const s = new Synthesized(stack);
  const body = bodyOf(s, f);
  const widgets = (JSON.parse(body) as { widgets: Widget[] }).widgets;
  const texts = widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown ?? '');

  it('has no fixed name, so two stacks in one account do not collide', () => {
    expect(s.props(s.idOf(f.dashboard)).DashboardName).toBeUndefined();
  });

  it('opens on each master group: its last events from the logs, then its failovers, detection and phase times, and its voters', () => {
    for (const master of masters.map((m) => m.name)) {
      const header = texts.indexOf(`# Master group ${master}`);
      expect(header).toBeGreaterThanOrEqual(0);
      const story = widgets.find((w) => w.type === 'log' && w.properties.query?.includes(`master = '${master}'`));
      expect(story?.properties.title).toContain(master);
      const graphed = graphedMetrics(body).filter((m) => m.namespace === METRICS_NAMESPACE && m.dimensions.Master === master);
      expect(new Set(graphed.map((m) => m.widget))).toEqual(
        new Set(['Failovers', 'Detection and failover time (ms)', 'Voters watching (ticks a minute)', 'PING latency, slowest a second (ms)']),
      );
      expect(graphed.filter((m) => m.name === 'PhaseDuration').map((m) => m.dimensions.Phase)).toEqual(['select-slave', 'promote', 'reconf-slaves']);
      expect(graphed.filter((m) => m.name === 'Ticks').map((m) => m.dimensions.Voter)).toEqual(f.voterIds);
    }
    // The groups come before everything else.
    expect(texts.slice(0, 4).filter((t) => t.startsWith('# Master group'))).toHaveLength(2);
  });

  it('shows every alarm with its state', () => {
    const status = widgets.find((w) => w.type === 'alarm');
    expect(status?.properties.alarms).toHaveLength(Object.values(f.alarms).flat().length);
  });

  it('lays out the workflow, each probe, each step and the table as cdk-monitoring-constructs does, and adds no alarm of its own', () => {
    expect(texts.filter((t) => t.startsWith('### State Machine'))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('### Lambda Function') && t.includes('Probe of voter'))).toHaveLength(f.probeFunctions.length);
    expect(texts.filter((t) => t.startsWith('### Lambda Function') && t.includes('Step '))).toHaveLength(STEP_KEYS.length);
    expect(texts.filter((t) => t.startsWith('### Dynamo Table'))).toHaveLength(1);
    for (const title of ['Step errors', 'Steps that waited for a cold start', 'Deliveries'])
      expect(widgets.some((w) => w.properties.title === title)).toBe(true);
    // No stream feeds any function: the library's iterator-age graph would be empty.
    expect(widgets.some((w) => w.properties.title === 'Iterator')).toBe(false);
    expect(s.ofType('AWS::CloudWatch::Alarm')).toHaveLength(Object.values(f.alarms).flat().length);
  });
});
