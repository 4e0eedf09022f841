import { describe, expect, it } from 'vitest';
import { EmfMetrics, perGroup, perVoter } from '../../lambdas/adapters/metrics.ts';
import { MemoryPublisher, MeteredPublisher } from '../../lambdas/adapters/publisher.ts';
import { masterEvent, switchMasterEvent } from '../../lambdas/core/events.ts';
import { dataPoints } from '../../sim/cloudwatch.ts';

const AT = 1_700_000_000_000;
const emf = (namespaceDims: string[], metrics: Array<[string, string]>) => ({
  Timestamp: AT,
  CloudWatchMetrics: [{ Namespace: 'RedisFailover', Dimensions: [namespaceDims], Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })) }],
});

describe('EmfMetrics', () => {
  it('writes one embedded-metric-format line per dimension set, counting per voter and group and per voter alone', () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics(
      (line) => lines.push(line),
      () => AT,
    );
    metrics.count('Ticks', perVoter('eu-west-1a', 'cache'), 2);
    metrics.count('Ticks', perVoter('eu-west-1a', 'slow'));
    metrics.count('TickErrors', perVoter('eu-west-1a', 'cache'));
    metrics.flush();
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        _aws: emf(
          ['Master', 'Voter'],
          [
            ['Ticks', 'Count'],
            ['TickErrors', 'Count'],
          ],
        ),
        Master: 'cache',
        Voter: 'eu-west-1a',
        Ticks: 2,
        TickErrors: 1,
      },
      {
        _aws: emf(
          ['Voter'],
          [
            ['Ticks', 'Count'],
            ['TickErrors', 'Count'],
          ],
        ),
        Voter: 'eu-west-1a',
        Ticks: 3,
        TickErrors: 1,
      },
      { _aws: emf(['Master', 'Voter'], [['Ticks', 'Count']]), Master: 'slow', Voter: 'eu-west-1a', Ticks: 1 },
    ]);
    lines.length = 0;
    metrics.flush();
    expect(lines).toEqual([]);
  });

  it('keeps every measured value, at most 100 a line as CloudWatch takes them, and a group-wide set with no dimension', () => {
    const lines: string[] = [];
    const metrics = new EmfMetrics(
      (line) => lines.push(line),
      () => AT,
    );
    metrics.count('FailoversStarted', perGroup('cache'));
    for (let i = 0; i < 150; i++) metrics.measure('PingLatency', [{ Master: 'cache' }], i + 0.4);
    metrics.measure('FailoverDuration', [{}], 812.6);
    metrics.flush();
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(3);
    expect(parsed[0]).toMatchObject({
      _aws: emf(
        ['Master'],
        [
          ['FailoversStarted', 'Count'],
          ['PingLatency', 'Milliseconds'],
        ],
      ),
      FailoversStarted: 1,
    });
    expect(parsed[0]!.PingLatency).toHaveLength(100);
    expect(parsed[1]).toEqual({
      _aws: emf(['Master'], [['PingLatency', 'Milliseconds']]),
      Master: 'cache',
      PingLatency: Array.from({ length: 50 }, (_, i) => i + 100),
    });
    expect(parsed[2]).toEqual({
      _aws: emf(
        [],
        [
          ['FailoversStarted', 'Count'],
          ['FailoverDuration', 'Milliseconds'],
        ],
      ),
      FailoversStarted: 1,
      FailoverDuration: 813,
    });
    // CloudWatch's reading of those lines (the simulation's): one data point per value.
    const points = dataPoints(lines);
    expect(points.filter((p) => p.name === 'PingLatency')).toHaveLength(150);
    expect(points.find((p) => p.name === 'FailoverDuration')).toMatchObject({ dimensions: {}, value: 813 });
  });
});

describe('MeteredPublisher', () => {
  const master = { name: 'cache', host: '10.0.0.1', port: 6379 };

  it('counts the failovers its events start, end and abort (by reason), per group and in all, and writes them at once', async () => {
    const lines: string[] = [];
    const inner = new MemoryPublisher();
    const publisher = new MeteredPublisher(
      inner,
      new EmfMetrics(
        (line) => lines.push(line),
        () => AT,
      ),
    );
    await publisher.publish([masterEvent('+sdown', master)]);
    expect(lines).toEqual([]);
    await publisher.publish([masterEvent('+new-epoch', master), masterEvent('+try-failover', master), masterEvent('+elected-leader', master)]);
    await publisher.publish([masterEvent('-failover-abort-no-good-slave', master)]);
    await publisher.publish([switchMasterEvent(master, { host: '10.0.0.2', port: 6379 })]);
    expect(inner.events).toHaveLength(6);
    const points = dataPoints(lines);
    const sum = (name: string, dimensions: Record<string, string>) =>
      points.filter((p) => p.name === name && JSON.stringify(p.dimensions) === JSON.stringify(dimensions)).reduce((a, p) => a + p.value, 0);
    expect(sum('FailoversStarted', {})).toBe(1);
    expect(sum('FailoversStarted', { Master: 'cache' })).toBe(1);
    expect(sum('FailoversAborted', { Master: 'cache', Reason: 'no-good-slave' })).toBe(1);
    expect(sum('FailoversAborted', {})).toBe(1);
    expect(sum('FailoversSucceeded', {})).toBe(1);
  });

  it('counts nothing when the events could not be published', async () => {
    const lines: string[] = [];
    const publisher = new MeteredPublisher(
      { publish: () => Promise.reject(new Error('bus down')) },
      new EmfMetrics(
        (line) => lines.push(line),
        () => AT,
      ),
    );
    await expect(publisher.publish([masterEvent('+try-failover', master)])).rejects.toThrow('bus down');
    expect(lines).toEqual([]);
  });
});
