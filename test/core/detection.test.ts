import { describe, expect, it } from 'vitest';
import {
  evaluateOdown,
  evaluateSdown,
  freshSdownVotes,
  INFO_PERIOD_MS,
  masterDownSince,
  newWatch,
  onInfoRole,
  onPingReply,
  pingPeriodMs,
  type VoteView,
} from '../../lambdas/core/detection.ts';

const master = { downAfterMs: 1000, expectMaster: true };

describe('ping period', () => {
  it('is a tenth of down-after, between 10 and 100 ms', () => {
    expect(pingPeriodMs(30_000)).toBe(100);
    expect(pingPeriodMs(1000)).toBe(100);
    expect(pingPeriodMs(500)).toBe(50);
    expect(pingPeriodMs(50)).toBe(10);
  });
});

describe('SDOWN', () => {
  it('holds no opinion while acceptable replies keep coming', () => {
    let watch = newWatch(0);
    for (let t = 100; t <= 5000; t += 100) {
      watch = onPingReply(watch, true, t);
      const verdict = evaluateSdown(watch, t, master);
      expect(verdict.event).toBeNull();
      watch = verdict.watch;
    }
    expect(watch.sdownSince).toBeNull();
  });

  it('declares +sdown only when no acceptable reply came for longer than down-after', () => {
    const watch = onPingReply(newWatch(0), true, 1000);
    expect(evaluateSdown(watch, 2000, master).event).toBeNull();
    const down = evaluateSdown(watch, 2001, master);
    expect(down).toMatchObject({ event: '+sdown', reason: 'no-reply' });
    expect(down.watch.sdownSince).toBe(2001);
  });

  it('counts an unacceptable reply (an error) as no reply', () => {
    let watch = onPingReply(newWatch(0), true, 0);
    watch = onPingReply(watch, false, 900);
    watch = onPingReply(watch, false, 1500);
    expect(evaluateSdown(watch, 1001, master).event).toBe('+sdown');
  });

  it('says +sdown once and -sdown once when replies come back', () => {
    let verdict = evaluateSdown(newWatch(0), 1500, master);
    expect(verdict.event).toBe('+sdown');
    verdict = evaluateSdown(verdict.watch, 1600, master);
    expect(verdict.event).toBeNull();
    expect(verdict.watch.sdownSince).toBe(1500);
    verdict = evaluateSdown(onPingReply(verdict.watch, true, 1700), 1700, master);
    expect(verdict).toMatchObject({ event: '-sdown', reason: null });
    expect(verdict.watch.sdownSince).toBeNull();
  });

  it('holds the master of record down when it reports role:slave longer than down-after + 2 INFO periods', () => {
    let watch = onInfoRole(newWatch(0), 'master', 0);
    watch = onInfoRole(watch, 'slave', 1000);
    const limit = 1000 + master.downAfterMs + 2 * INFO_PERIOD_MS;
    watch = onPingReply(watch, true, limit);
    expect(evaluateSdown(watch, limit, master).event).toBeNull();
    watch = onPingReply(watch, true, limit + 1);
    expect(evaluateSdown(watch, limit + 1, master)).toMatchObject({ event: '+sdown', reason: 'reports-slave' });
  });

  it('does not hold a replica down for reporting role:slave', () => {
    let watch = onInfoRole(newWatch(0), 'slave', 0);
    watch = onPingReply(watch, true, 60_000);
    expect(evaluateSdown(watch, 60_000, { ...master, expectMaster: false }).event).toBeNull();
  });

  it('keeps roleSince while the role does not change', () => {
    const watch = onInfoRole(newWatch(0), 'slave', 100);
    expect(onInfoRole(watch, 'slave', 5000).roleSince).toBe(100);
    expect(onInfoRole(watch, 'master', 5000).roleSince).toBe(5000);
  });
});

describe('ODOWN', () => {
  const votes = (...list: Array<[string, number | null, number]>): VoteView[] => list.map(([voter, sdownSince, expiresAt]) => ({ voter, sdownSince, expiresAt }));

  it('counts only fresh SDOWN votes', () => {
    const list = votes(['a', 100, 6000], ['b', 200, 999], ['c', null, 6000], ['d', 300, 1000]);
    expect(freshSdownVotes(list, 1000).map((v) => v.voter)).toEqual(['a', 'd']);
  });

  it('is reached at quorum and says +odown once, -odown when votes fall below', () => {
    const two = votes(['a', 100, 6000], ['b', 200, 6000], ['c', null, 6000]);
    expect(evaluateOdown(two, 2, 1000, false)).toEqual({ odown: true, votes: 2, quorum: 2, event: '+odown' });
    expect(evaluateOdown(two, 2, 1000, true).event).toBeNull();
    expect(evaluateOdown(two, 3, 1000, false)).toEqual({ odown: false, votes: 2, quorum: 3, event: null });
    expect(evaluateOdown(two, 2, 6001, true)).toEqual({ odown: false, votes: 0, quorum: 2, event: '-odown' });
  });

  it('is never reached by one voter when the quorum is 2', () => {
    expect(evaluateOdown(votes(['a', 100, 6000], ['b', null, 6000], ['c', null, 6000]), 2, 1000, false).odown).toBe(false);
  });

  it('dates the master down from the earliest fresh SDOWN', () => {
    expect(masterDownSince(votes(['a', 400, 6000], ['b', 200, 6000], ['c', 100, 10]), 1000)).toBe(200);
    expect(masterDownSince(votes(['a', null, 6000]), 1000)).toBeNull();
  });
});
