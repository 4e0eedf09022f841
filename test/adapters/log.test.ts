import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../lambdas/adapters/log.ts';
import { LoggedPublisher, MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import type { EventPublisher } from '../../lambdas/core/interfaces.ts';
import { masterEvent, replicaEvent } from '../../lambdas/core/events.ts';

const at = () => new Date('2026-12-02T06:00:00.000Z');
const master = { name: 'mymaster', host: '10.0.0.1', port: 6379 };

function capture() {
  const lines: string[] = [];
  return { lines, logger: jsonLogger((line) => lines.push(line), {}, at), parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('jsonLogger', () => {
  it('writes one JSON object per line: time, level, message, then the fields given, leaving out the undefined ones', () => {
    const { lines, logger } = capture();
    logger.info('tick failed', { master: 'mymaster', epoch: undefined, error: 'ETIMEDOUT' });
    logger.with({ voter: 'eu-west-1a' }).warn('leadership lost', { master: 'mymaster' });
    expect(lines).toEqual([
      '{"time":"2026-12-02T06:00:00.000Z","level":"INFO","message":"tick failed","master":"mymaster","error":"ETIMEDOUT"}',
      '{"time":"2026-12-02T06:00:00.000Z","level":"WARN","message":"leadership lost","voter":"eu-west-1a","master":"mymaster"}',
    ]);
  });
});

describe('LoggedPublisher', () => {
  it('logs each event it published with its name, Sentinel message, epoch, execution and voter', async () => {
    const { logger, parsed } = capture();
    const inner = new MemoryPublisher();
    const event = replicaEvent('+promoted-slave', { host: '10.0.0.2', port: 6379 }, master, { epoch: 3, execution: 'mymaster-3' });
    await new LoggedPublisher(inner, logger).publish([masterEvent('+sdown', master), { ...event, detail: { ...event.detail, voter: 'eu-west-1b' } }]);
    expect(inner.events).toHaveLength(2);
    expect(parsed()).toEqual([
      {
        time: '2026-12-02T06:00:00.000Z',
        level: 'INFO',
        message: 'event published',
        event: '+sdown',
        sentinel: '+sdown master mymaster 10.0.0.1 6379',
        master: 'mymaster',
      },
      {
        time: '2026-12-02T06:00:00.000Z',
        level: 'INFO',
        message: 'event published',
        event: '+promoted-slave',
        sentinel: '+promoted-slave slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379',
        master: 'mymaster',
        epoch: 3,
        execution: 'mymaster-3',
        voter: 'eu-west-1b',
      },
    ]);
  });

  it('logs an event it could not publish as an error, and still throws', async () => {
    const failing: EventPublisher = { publish: () => Promise.reject(new Error('PutEvents throttled')) };
    const c = capture();
    await expect(new LoggedPublisher(failing, c.logger).publish([masterEvent('+odown', master)])).rejects.toThrow('PutEvents throttled');
    expect(c.parsed()).toEqual([expect.objectContaining({ level: 'ERROR', message: 'event not published', event: '+odown', error: 'PutEvents throttled' })]);
  });
});
