import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../../lambdas/adapters/eventbridge-publisher.ts';
import { isPortFree } from '../../../local/ports.ts';
import { checkEventPattern, EventBridgeStandIn, matchesEventPattern } from '../../../sim/services/eventbridge.ts';
import type { SimEvent, SimRule } from '../../../sim/services/eventbridge.ts';
import { standInLifecycle } from '../../support/stand-ins.ts';

const BUS = 'redis-failover';
const SOURCE = 'io.github.redis-failover';
const SWITCH_RULE: SimRule = {
  name: 'switch-master',
  eventBusName: BUS,
  eventPattern: { source: [SOURCE], 'detail-type': ['+switch-master'] },
  targets: ['arn:aws:sns:local-1:123456789012:failover-alerts'],
};

const lifecycle = standInLifecycle();

function standIn(rules: SimRule[] = [SWITCH_RULE]): Promise<EventBridgeStandIn> {
  return lifecycle.start(EventBridgeStandIn.start({ buses: [BUS], rules }));
}

function client(s: EventBridgeStandIn, accessKeyId = 'AKIDPROBE1'): EventBridgeClient {
  return lifecycle.client(EventBridgeClient, s.url, accessKeyId);
}

const entry = (
  detailType: string,
  detail: Record<string, unknown> = { master: 'mymaster' },
  extra: Partial<PutEventsRequestEntry> = {},
): PutEventsRequestEntry => ({
  Source: SOURCE,
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  EventBusName: BUS,
  ...extra,
});

describe('EventBridgeStandIn', () => {
  it('accepts PutEvents from the SDK and records each event with its caller, time and parsed detail', async () => {
    const s = await standIn();
    const seen: SimEvent[] = [];
    const unsubscribe = s.on((e) => seen.push(e));
    const time = new Date('2030-01-02T03:04:05.678Z');
    const before = Date.now();
    const out = await client(s).send(new PutEventsCommand({ Entries: [entry('+sdown', { master: 'mymaster', epoch: 3 }, { Time: time }), entry('+odown')] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.map((e) => e.EventId)).toEqual(s.events.map((e) => e.id));
    expect(s.events).toHaveLength(2);
    const [first, second] = s.events;
    expect(first).toMatchObject({
      source: SOURCE,
      detailType: '+sdown',
      detail: { master: 'mymaster', epoch: 3 },
      eventBusName: BUS,
      caller: 'AKIDPROBE1',
      time: time.getTime(),
    });
    // No Time: EventBridge stamps the arrival.
    expect(second?.time).toBe(second?.receivedAt);
    expect(second?.receivedAt).toBeGreaterThanOrEqual(before);
    expect(seen).toEqual(s.events);
    expect(s.calls).toMatchObject([{ operation: 'PutEvents', caller: 'AKIDPROBE1' }]);

    unsubscribe();
    await client(s, 'AKIDOTHER').send(new PutEventsCommand({ Entries: [entry('+tilt')] }));
    expect(seen).toHaveLength(2);
    expect(s.events[2]?.caller).toBe('AKIDOTHER');
  });

  it('accepts a bus ARN as the bus name', async () => {
    const s = await standIn();
    const out = await client(s).send(
      new PutEventsCommand({ Entries: [entry('+sdown', {}, { EventBusName: `arn:aws:events:local-1:123456789012:event-bus/${BUS}` })] }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(s.events[0]?.eventBusName).toBe(BUS);
  });

  it('refuses a whole request naming an unknown bus (default included) with ResourceNotFoundException', async () => {
    const s = await standIn();
    await expect(client(s).send(new PutEventsCommand({ Entries: [entry('+sdown'), entry('+sdown', {}, { EventBusName: 'nope' })] }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Event bus nope does not exist.',
    });
    await expect(client(s).send(new PutEventsCommand({ Entries: [entry('+sdown', {}, { EventBusName: undefined })] }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Event bus default does not exist.',
    });
    expect(s.events).toEqual([]);
  });

  it('refuses more than 10 entries (or none) with ValidationException', async () => {
    const s = await standIn();
    const eleven = Array.from({ length: 11 }, () => entry('+sdown'));
    await expect(client(s).send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client(s).send(new PutEventsCommand({ Entries: [] }))).rejects.toMatchObject({ name: 'ValidationException' });
    const ten = await client(s).send(new PutEventsCommand({ Entries: eleven.slice(1) }));
    expect(ten.FailedEntryCount).toBe(0);
    expect(s.events).toHaveLength(10);
  });

  it('reports a malformed entry in its own result and accepts the others', async () => {
    const s = await standIn();
    const out = await client(s).send(
      new PutEventsCommand({
        Entries: [{ ...entry('+sdown'), Detail: 'not json' }, entry('+odown'), { ...entry('+x'), Source: undefined }, { ...entry('+y'), Detail: '[1]' }],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual(['MalformedDetail', 'ok', 'InvalidArgument', 'MalformedDetail']);
    expect(s.events.map((e) => e.detailType)).toEqual(['+odown']);
  });

  it('failNext makes the next entries fail per entry, which the SDK sees as FailedEntryCount', async () => {
    const s = await standIn();
    s.failNext(2);
    const out = await client(s).send(new PutEventsCommand({ Entries: [entry('+a'), entry('+b'), entry('+c')] }));
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries?.map((e) => e.ErrorCode ?? e.EventId)).toEqual(['InternalFailure', 'InternalFailure', s.events[0]?.id]);
    expect(s.events.map((e) => e.detailType)).toEqual(['+c']);

    s.failNext(1, 'ThrottlingException');
    const throttled = await client(s).send(new PutEventsCommand({ Entries: [entry('+d')] }));
    expect(throttled).toMatchObject({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException' }] });
    const fine = await client(s).send(new PutEventsCommand({ Entries: [entry('+e')] }));
    expect(fine.FailedEntryCount).toBe(0);
  });

  it("the project's EventBridgePublisher retries exactly the failed entries", async () => {
    const s = await standIn();
    const publisher = new EventBridgePublisher({ client: client(s), busName: BUS, sleep: async () => {} });
    const time = '2030-01-02T03:04:05.000Z';
    const event = (type: '+sdown' | '+odown' | '+switch-master') => ({
      type,
      master: 'mymaster',
      message: `master mymaster`,
      time,
      detail: { master: 'mymaster' },
    });
    s.failNext(1);
    await publisher.publish([event('+sdown'), event('+odown'), event('+switch-master')]);
    expect(s.events.map((e) => e.detailType)).toEqual(['+odown', '+switch-master', '+sdown']);
    expect(s.events.every((e) => e.time === Date.parse(time))).toBe(true);
    expect(s.deliveries('switch-master').map((e) => e.detailType)).toEqual(['+switch-master']);
  });

  it('unavailable(true) fails whole requests with HTTP 500 InternalException until turned off', async () => {
    const s = await standIn();
    s.unavailable(true);
    const failure = client(s).send(new PutEventsCommand({ Entries: [entry('+sdown')] }));
    await expect(failure).rejects.toMatchObject({ name: 'InternalException', $metadata: { httpStatusCode: 500 } });
    s.unavailable(false);
    expect((await client(s).send(new PutEventsCommand({ Entries: [entry('+sdown')] }))).FailedEntryCount).toBe(0);
    expect(s.events).toHaveLength(1);
  });

  it('delivers to the rules whose pattern matches, in order', async () => {
    const s = await standIn([
      SWITCH_RULE,
      { name: 'all-down', eventBusName: BUS, eventPattern: { 'detail-type': [{ prefix: '+' }], detail: { epoch: [{ exists: true }] } }, targets: [] },
      { name: 'not-tilt', eventBusName: BUS, eventPattern: { source: [SOURCE], 'detail-type': [{ 'anything-but': ['+tilt', '+sdown'] }] }, targets: [] },
    ]);
    await client(s).send(
      new PutEventsCommand({
        Entries: [
          entry('+sdown', { epoch: 1 }),
          entry('+switch-master', { epoch: 2 }),
          entry('+tilt'),
          entry('+switch-master'),
          { ...entry('+switch-master'), Source: 'other' },
        ],
      }),
    );
    const [sdown, switch2, tilt, switchNoEpoch, otherSource] = s.events;
    expect(s.deliveries('switch-master')).toEqual([switch2, switchNoEpoch]);
    expect(s.deliveries('all-down')).toEqual([sdown, switch2]);
    expect(s.deliveries('not-tilt')).toEqual([switch2, switchNoEpoch]);
    expect(tilt?.detailType).toBe('+tilt');
    expect(otherSource?.source).toBe('other');
    expect(() => s.deliveries('nope')).toThrow(/no rule named nope/);
  });

  it('refuses at start a rule using a pattern form it does not simulate, or on an unknown bus', async () => {
    const rule = (eventPattern: Record<string, unknown>, eventBusName = BUS): SimRule => ({ name: 'r', eventBusName, eventPattern, targets: [] });
    await expect(EventBridgeStandIn.start({ buses: [BUS], rules: [rule({ detail: { n: [{ numeric: ['>', 0] }] } })] })).rejects.toThrow(
      /detail\.n .*not simulated/,
    );
    await expect(EventBridgeStandIn.start({ buses: [BUS], rules: [rule({ source: [SOURCE] }, 'elsewhere')] })).rejects.toThrow(/elsewhere/);
  });

  it('stop() frees the port', async () => {
    const s = await EventBridgeStandIn.start({ buses: [BUS] });
    const port = Number(new URL(s.url).port);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await client(s).send(new PutEventsCommand({ Entries: [entry('+sdown')] })); // leaves a keep-alive socket open
    expect(await isPortFree(port)).toBe(false);
    await s.stop();
    expect(await isPortFree(port)).toBe(true);
    await s.stop(); // twice: harmless
  });
});

describe('matchesEventPattern', () => {
  const event = {
    version: '0',
    source: SOURCE,
    'detail-type': '+switch-master',
    account: '123456789012',
    resources: [],
    detail: {
      master: 'mymaster',
      epoch: 7,
      manual: false,
      reason: null,
      newMaster: { host: '10.0.0.2', port: 6379 },
      replicas: [{ host: '10.0.0.3' }, { host: '10.0.0.4' }],
      tags: ['a', 'b'],
    },
  };
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['source and detail-type', { source: [SOURCE], 'detail-type': ['+switch-master'] }, true],
    ['one of several values', { 'detail-type': ['+sdown', '+switch-master'] }, true],
    ['a value that differs', { 'detail-type': ['+sdown'] }, false],
    ['every key must match', { source: [SOURCE], 'detail-type': ['+sdown'] }, false],
    ['nested keys', { detail: { newMaster: { host: ['10.0.0.2'], port: [6379] } } }, true],
    ['numbers are not strings', { detail: { epoch: ['7'] } }, false],
    ['a number', { detail: { epoch: [7] } }, true],
    ['a boolean', { detail: { manual: [false] } }, true],
    ['null matches a null value', { detail: { reason: [null] } }, true],
    ['null does not match an absent field', { detail: { missing: [null] } }, false],
    ['an array field matches when one element does', { detail: { tags: ['b', 'z'] } }, true],
    ['an array of objects matches when one element does', { detail: { replicas: { host: ['10.0.0.4'] } } }, true],
    ['prefix', { 'detail-type': [{ prefix: '+switch' }] }, true],
    ['prefix that differs', { 'detail-type': [{ prefix: '+sdown' }] }, false],
    ['prefix is for strings only', { detail: { epoch: [{ prefix: '7' }] } }, false],
    ['anything-but a value', { 'detail-type': [{ 'anything-but': '+sdown' }] }, true],
    ['anything-but the value itself', { 'detail-type': [{ 'anything-but': '+switch-master' }] }, false],
    ['anything-but a list', { 'detail-type': [{ 'anything-but': ['+sdown', '+switch-master'] }] }, false],
    ['anything-but a number', { detail: { epoch: [{ 'anything-but': [1, 2] }] } }, true],
    ['anything-but a prefix', { 'detail-type': [{ 'anything-but': { prefix: '+s' } }] }, false],
    ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['anything-but on an array: one other element is enough', { detail: { tags: [{ 'anything-but': 'a' }] } }, true],
    ['exists true', { detail: { master: [{ exists: true }] } }, true],
    ['exists true, absent', { detail: { missing: [{ exists: true }] } }, false],
    ['exists false, absent', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false, present', { detail: { master: [{ exists: false }] } }, false],
    ['exists false under an absent parent', { detail: { nothing: { here: [{ exists: false }] } } }, true],
    ['exists applies to leaves, not objects', { detail: { newMaster: [{ exists: true }] } }, false],
    ['a literal or an operator', { 'detail-type': ['+sdown', { prefix: '+switch' }] }, true],
    ['a nested pattern against a leaf', { source: { x: ['y'] } }, false],
  ];
  it.each(cases)('%s', (_what, pattern, expected) => {
    checkEventPattern(pattern);
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it('checkEventPattern refuses what it cannot match faithfully', () => {
    expect(() => checkEventPattern({})).toThrow(/non-empty object/);
    expect(() => checkEventPattern({ source: 'x' })).toThrow(/source must be a non-empty array or an object/);
    expect(() => checkEventPattern({ source: [] })).toThrow(/non-empty array/);
    expect(() => checkEventPattern({ $or: [{ source: ['x'] }] })).toThrow(/\$or is not simulated/);
    expect(() => checkEventPattern({ source: [{ suffix: 'x' }] })).toThrow(/not simulated/);
    expect(() => checkEventPattern({ source: [{ prefix: 'x', exists: true }] })).toThrow(/one-key operator/);
    expect(() => checkEventPattern({ source: [{ 'anything-but': { suffix: 'x' } }] })).toThrow(/not simulated/);
  });
});
