import { describe, expect, it } from 'vitest';
import {
  formatEventLine,
  masterEvent,
  pauseEvent,
  approvalEvent,
  monitorEvent,
  newEpochEvent,
  odownEvent,
  replicaEvent,
  SENTINEL_EVENTS,
  switchMasterEvent,
} from '../../lambdas/core/events.ts';

const now = new Date('2026-11-25T13:10:15.123Z');
const master = { name: 'mymaster', host: '10.0.0.1', port: 6379 };
const line = (e: Parameters<typeof formatEventLine>[0]) => formatEventLine(e, false);

describe('SENTINEL_EVENTS', () => {
  it('lists every event of the reference table once, and the DNS, pause and veto events of this project', () => {
    expect(SENTINEL_EVENTS).toHaveLength(40);
    expect(new Set(SENTINEL_EVENTS).size).toBe(SENTINEL_EVENTS.length);
    for (const name of [
      '+sdown',
      '+odown',
      '+new-epoch',
      '+selected-slave',
      '-failover-abort-slave-timeout',
      '+slave-reconf-sent-be',
      '+switch-master',
      '+monitor',
    ]) {
      expect(SENTINEL_EVENTS).toContain(name);
    }
  });
});

describe('messages (as Redis Sentinel 7.0 words them)', () => {
  it('+reboot names the restarted instance as %@ does', () => {
    expect(line(masterEvent('+reboot', master, { now }))).toBe('+reboot master mymaster 10.0.0.1 6379');
    expect(line(replicaEvent('+reboot', { host: '10.0.0.2', port: 6379 }, master))).toBe('+reboot slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379');
  });

  it('+sdown master mymaster 10.0.0.1 6379', () => {
    expect(line(masterEvent('+sdown', master, { now }))).toBe('+sdown master mymaster 10.0.0.1 6379');
  });

  it('+odown master mymaster 10.0.0.1 6379 #quorum 2/2', () => {
    expect(line(odownEvent(master, 2, 2, { now }))).toBe('+odown master mymaster 10.0.0.1 6379 #quorum 2/2');
  });

  it('+selected-slave and +slave-reconf-sent name the replica and its master', () => {
    expect(line(replicaEvent('+selected-slave', { host: '10.0.0.2', port: 6379 }, master))).toBe(
      '+selected-slave slave 10.0.0.2:6379 10.0.0.2 6379 @ mymaster 10.0.0.1 6379',
    );
    expect(line(replicaEvent('+slave-reconf-sent', { host: '10.0.0.3', port: 6379 }, master))).toBe(
      '+slave-reconf-sent slave 10.0.0.3:6379 10.0.0.3 6379 @ mymaster 10.0.0.1 6379',
    );
  });

  it('+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379', () => {
    expect(line(switchMasterEvent(master, { host: '10.0.0.2', port: 6379 }))).toBe('+switch-master mymaster 10.0.0.1 6379 10.0.0.2 6379');
  });
});

describe('builders', () => {
  it('masterEvent: message and detail', () => {
    const e = masterEvent('+failover-state-select-slave', master, { now, epoch: 5, execution: 'mymaster-5' });
    expect(e).toEqual({
      type: '+failover-state-select-slave',
      master: 'mymaster',
      message: 'master mymaster 10.0.0.1 6379',
      time: '2026-11-25T13:10:15.123Z',
      detail: {
        master: 'mymaster',
        epoch: 5,
        execution: 'mymaster-5',
        instance: { type: 'master', name: 'mymaster', host: '10.0.0.1', port: 6379 },
        masterAddress: { host: '10.0.0.1', port: 6379 },
      },
    });
  });

  it('masterEvent carries a reason and leaves out what was not given', () => {
    const e = masterEvent('-failover-abort-no-good-slave', master, { now, reason: 'no replica qualifies' });
    expect(e.message).toBe('master mymaster 10.0.0.1 6379');
    expect(e.detail.reason).toBe('no replica qualifies');
    expect(Object.keys(e.detail)).toEqual(['master', 'instance', 'masterAddress', 'reason']);
  });

  it('replicaEvent: the @ part names the master address passed in', () => {
    const e = replicaEvent('+convert-to-slave', { host: '127.0.0.1', port: 6379 }, { name: 'mymaster', host: '127.0.0.1', port: 6380 }, { now });
    expect(e.message).toBe('slave 127.0.0.1:6379 127.0.0.1 6379 @ mymaster 127.0.0.1 6380');
    expect(e.detail).toEqual({
      master: 'mymaster',
      instance: { type: 'slave', name: '127.0.0.1:6379', host: '127.0.0.1', port: 6379 },
      masterAddress: { host: '127.0.0.1', port: 6380 },
    });
  });

  it('+slave and +sdown of a replica', () => {
    const replica = { host: '10.0.0.2', port: 6380 };
    expect(replicaEvent('+slave', replica, master).message).toBe('slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379');
    expect(line(replicaEvent('-sdown', replica, master))).toBe('-sdown slave 10.0.0.2:6380 10.0.0.2 6380 @ mymaster 10.0.0.1 6379');
  });

  it('switchMasterEvent: old and new addresses in detail', () => {
    const e = switchMasterEvent(master, { host: '10.0.0.2', port: 6380 }, { now, epoch: 7 });
    expect(e.message).toBe('mymaster 10.0.0.1 6379 10.0.0.2 6380');
    expect(e.detail).toEqual({ master: 'mymaster', epoch: 7, oldMaster: { host: '10.0.0.1', port: 6379 }, newMaster: { host: '10.0.0.2', port: 6380 } });
  });

  it('odownEvent: votes and quorum in detail', () => {
    const e = odownEvent(master, 3, 2, { now });
    expect(e.message).toBe('master mymaster 10.0.0.1 6379 #quorum 3/2');
    expect(e.detail.quorum).toEqual({ votes: 3, quorum: 2 });
  });

  it('newEpochEvent: the message is the epoch alone', () => {
    const e = newEpochEvent(master, 5, { now });
    expect(e.type).toBe('+new-epoch');
    expect(e.message).toBe('5');
    expect(e.detail.epoch).toBe(5);
    expect(line(e)).toBe('+new-epoch 5');
  });

  it('monitorEvent: %@ quorum N', () => {
    const e = monitorEvent(master, 2, { now });
    expect(e.message).toBe('master mymaster 10.0.0.1 6379 quorum 2');
    expect(e.detail.quorum).toEqual({ quorum: 2 });
  });

  it('time defaults to now, in ISO 8601', () => {
    const before = Date.now();
    const e = masterEvent('+sdown', master);
    expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(e.time)).toBeGreaterThanOrEqual(before);
  });
});

describe('formatEventLine', () => {
  const e = switchMasterEvent({ name: 'mymaster', host: '127.0.0.1', port: 6379 }, { host: '127.0.0.1', port: 6380 }, { now });

  it('prefixes the time in brackets by default', () => {
    expect(formatEventLine(e)).toBe('[2026-11-25T13:10:15.123Z] +switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380');
  });

  it('leaves the time out on request', () => {
    expect(formatEventLine(e, false)).toBe('+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380');
  });
});

describe('the pause and the veto (beyond Sentinel)', () => {
  const pause = { since: Date.UTC(2026, 0, 1), until: Date.UTC(2026, 0, 1, 0, 30), reason: 'kernel upgrade', by: 'manual' };

  it('+pause says until when and why; -pause how it ended; +failover-held that ODOWN waits for it', () => {
    expect(line(pauseEvent('+pause', master, pause))).toBe('+pause master mymaster 10.0.0.1 6379 until 2026-01-01T00:30:00.000Z (kernel upgrade)');
    expect(line(pauseEvent('-pause', master, pause, { ended: 'expired' }))).toBe('-pause master mymaster 10.0.0.1 6379 expired');
    expect(line(pauseEvent('-pause', master, pause))).toBe('-pause master mymaster 10.0.0.1 6379 resumed');
    const held = pauseEvent('+failover-held', master, pause, { epoch: 3 });
    expect(line(held)).toBe('+failover-held master mymaster 10.0.0.1 6379 paused until 2026-01-01T00:30:00.000Z (kernel upgrade)');
    expect(held.detail).toMatchObject({
      epoch: 3,
      pause: { since: '2026-01-01T00:00:00.000Z', until: '2026-01-01T00:30:00.000Z', reason: 'kernel upgrade', by: 'manual' },
    });
  });

  it('+failover-approval-requested names the candidate and the deadline, and carries the token in its detail only', () => {
    const approval = { taskToken: 'AQCEAAAA…', candidate: { host: '10.0.0.2', port: 6380 }, timeoutSeconds: 30, onTimeout: 'abort' as const };
    const event = approvalEvent(master, approval, { epoch: 4, execution: 'mymaster-4' });
    expect(line(event)).toBe('+failover-approval-requested master mymaster 10.0.0.1 6379 candidate 10.0.0.2:6380 timeout 30 s then abort');
    expect(event.detail).toMatchObject({ epoch: 4, execution: 'mymaster-4', approval });
  });
});
