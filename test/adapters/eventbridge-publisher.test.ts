import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../lambdas/adapters/eventbridge-publisher.ts';
import { masterEvent, newEpochEvent, switchMasterEvent } from '../../lambdas/core/events.ts';

const eb = mockClient(EventBridgeClient);
const master = { name: 'mymaster', host: '10.0.0.1', port: 6379 };
const now = new Date('2026-11-25T13:10:15.123Z');

const sleeps: number[] = [];
function publisher(maxAttempts?: number): EventBridgePublisher {
  const sleep = async (ms: number) => {
    sleeps.push(ms);
  };
  return new EventBridgePublisher({
    client: new EventBridgeClient({ region: 'eu-west-1' }),
    busName: 'failover-bus',
    sleep,
    ...(maxAttempts !== undefined && { maxAttempts }),
  });
}

/** The entries of every PutEvents call, in call order. */
function sentEntries(): PutEventsRequestEntry[][] {
  return eb.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

beforeEach(() => {
  eb.reset();
  sleeps.length = 0;
});

describe('EventBridgePublisher', () => {
  it('sends one entry per event: source, detail-type, detail with message, bus, time', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    await publisher().publish([switchMasterEvent(master, { host: '10.0.0.2', port: 6379 }, { now, epoch: 5, execution: 'mymaster-5' })]);
    expect(sentEntries()).toEqual([
      [
        {
          Source: 'io.github.redis-failover',
          DetailType: '+switch-master',
          Detail: expect.any(String),
          EventBusName: 'failover-bus',
          Time: now,
        },
      ],
    ]);
    expect(JSON.parse(sentEntries()[0]?.[0]?.Detail ?? '')).toEqual({
      master: 'mymaster',
      epoch: 5,
      execution: 'mymaster-5',
      oldMaster: { host: '10.0.0.1', port: 6379 },
      newMaster: { host: '10.0.0.2', port: 6379 },
      message: 'mymaster 10.0.0.1 6379 10.0.0.2 6379',
    });
  });

  it('uses a custom source', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    await new EventBridgePublisher({ client: new EventBridgeClient({ region: 'eu-west-1' }), busName: 'b', source: 'com.example.redis' }).publish([
      masterEvent('+sdown', master, { now }),
    ]);
    expect(sentEntries()[0]?.[0]?.Source).toBe('com.example.redis');
  });

  it('sends nothing for no events', async () => {
    await publisher().publish([]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('batches 23 events into 10, 10 and 3, in order', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
    const events = Array.from({ length: 23 }, (_, i) => newEpochEvent(master, i + 1, { now }));
    await publisher().publish(events);
    const batches = sentEntries();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    const epochs = batches.flat().map((entry) => (JSON.parse(entry.Detail ?? '') as { message: string }).message);
    expect(epochs).toEqual(events.map((e) => e.message));
  });

  it('retries only the failed entries, with backoff, until they succeed', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 2, Entries: [{ ErrorCode: 'ThrottlingException' }, { EventId: 'b' }, { ErrorCode: 'InternalFailure' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'c' }] });
    const events = [masterEvent('+sdown', master, { now }), masterEvent('+odown', master, { now }), masterEvent('+try-failover', master, { now })];
    await publisher().publish(events);
    expect(sentEntries().map((b) => b.map((e) => e.DetailType))).toEqual([
      ['+sdown', '+odown', '+try-failover'],
      ['+sdown', '+try-failover'],
      ['+try-failover'],
    ]);
    expect(sleeps).toEqual([50, 100]);
  });

  it('throws after maxAttempts, naming the event types and error codes', async () => {
    // +switch-master is always throttled, everything else accepted.
    eb.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
      const Entries = input.Entries.map((e) =>
        e.DetailType === '+switch-master' ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' } : { EventId: 'a' },
      );
      return { FailedEntryCount: Entries.filter((e) => 'ErrorCode' in e).length, Entries };
    });
    const events = [masterEvent('+sdown', master, { now }), switchMasterEvent(master, { host: '10.0.0.2', port: 6379 }, { now })];
    const error = await publisher(3)
      .publish(events)
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('EventBridge PutEvents to failover-bus failed after 3 attempts for 1 event(s): +switch-master (ThrottlingException)');
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('defaults to 4 attempts', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
    await expect(publisher().publish([masterEvent('+sdown', master, { now })])).rejects.toThrow(
      'failed after 4 attempts for 1 event(s): +sdown (InternalFailure)',
    );
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(4);
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it('counts a missing per-entry result as failed', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1 });
    await expect(publisher(1).publish([masterEvent('+sdown', master, { now })])).rejects.toThrow('+sdown (Unknown)');
  });
});
