import { describe, expect, it } from 'vitest';
import { parseInfo } from '../../lambdas/core/info.ts';
import {
  evaluateOdown,
  evaluateSdown,
  freshSdownVotes,
  INFO_PERIOD_MS,
  masterDownSince,
  newWatch,
  onInfoRole,
  onPingFailed,
  onPingReply,
  onPingSent,
  shouldKillScript,
  unansweredFor,
  onRunId,
  pingPeriodMs,
  resumeWatch,
  asNewMaster,
  votesAbout,
  witnessSeesMaster,
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
      watch = onPingReply(watch, 'pong', t);
      const verdict = evaluateSdown(watch, t, master);
      expect(verdict.event).toBeNull();
      watch = verdict.watch;
    }
    expect(watch.sdownSince).toBeNull();
  });

  it('declares +sdown only when a PING went unanswered for longer than down-after', () => {
    const watch = onPingSent(onPingReply(newWatch(0), 'pong', 1000), 1000);
    expect(evaluateSdown(watch, 2000, master).event).toBeNull();
    const down = evaluateSdown(watch, 2001, master);
    expect(down).toMatchObject({ event: '+sdown', reason: 'no-reply' });
    expect(down.watch.sdownSince).toBe(2001);
  });

  it('measures from the oldest unanswered PING, as Sentinel does: later PINGs do not move the clock', () => {
    let watch = onPingSent(onPingReply(newWatch(0), 'pong', 0), 100);
    for (let t = 200; t <= 1100; t += 100) watch = onPingFailed(onPingSent(watch, t), true);
    expect(watch.pendingPingSince).toBe(100);
    expect(evaluateSdown(watch, 1100, master).event).toBeNull();
    expect(evaluateSdown(watch, 1101, master).event).toBe('+sdown');
  });

  it('judges nobody down while this voter itself sends nothing (a stall, a slow table call): no PING, no clock', () => {
    const watch = onPingReply(newWatch(0), 'pong', 0);
    expect(unansweredFor(watch, 60_000)).toBe(0);
    expect(evaluateSdown(watch, 60_000, master).event).toBeNull();
    // The PING sent after the stall is answered as usual.
    const answered = onPingReply(onPingSent(watch, 60_000), 'pong', 60_002);
    expect(evaluateSdown(answered, 60_002, master).event).toBeNull();
  });

  it('counts from the last reply once the connection is refused (a dead server), and a timeout after that keeps it so', () => {
    let watch = onPingSent(onPingReply(newWatch(0), 'pong', 0), 100);
    watch = onPingFailed(watch, false);
    expect(unansweredFor(watch, 1001)).toBe(1001);
    expect(evaluateSdown(watch, 1001, master).event).toBe('+sdown');
    watch = onPingFailed(watch, true);
    expect(unansweredFor(watch, 1050)).toBe(1050);
    // Any reply brings the link back up.
    expect(onPingReply(watch, 'error', 1100).linkDown).toBe(false);
  });

  it('counts an unacceptable reply (an error) as no reply', () => {
    let watch = onPingSent(onPingReply(newWatch(0), 'pong', 0), 0);
    watch = onPingReply(onPingSent(watch, 900), 'error', 900);
    watch = onPingReply(onPingSent(watch, 1500), 'error', 1500);
    expect(evaluateSdown(watch, 1001, master).event).toBe('+sdown');
  });

  it('counts a refusal of our credentials as a reply: the server is up, our configuration is wrong (unlike Sentinel)', () => {
    let watch = onPingReply(newWatch(0), 'pong', 0);
    watch = onPingReply(watch, 'refused', 900);
    expect(evaluateSdown(watch, 1500, master).event).toBeNull();
    expect(watch.rebootSince).toBeNull();
  });

  it('counts -BUSY as no reply, and asks for one SCRIPT KILL once the instance is SDOWN (Sentinel)', () => {
    const watch = onPingReply(onPingSent(newWatch(0), 0), 'busy', 900);
    expect(watch.lastAcceptableReplyAt).toBe(0);
    expect(shouldKillScript(watch, 'busy', false)).toBe(false); // not SDOWN yet
    const down = evaluateSdown(watch, 1001, master).watch;
    expect(shouldKillScript(down, 'busy', false)).toBe(true);
    expect(shouldKillScript(down, 'busy', true)).toBe(false); // once per SDOWN
    expect(shouldKillScript(down, 'error', false)).toBe(false);
  });

  it('says +sdown once and -sdown once when replies come back', () => {
    let verdict = evaluateSdown(onPingSent(newWatch(0), 0), 1500, master);
    expect(verdict.event).toBe('+sdown');
    verdict = evaluateSdown(verdict.watch, 1600, master);
    expect(verdict.event).toBeNull();
    expect(verdict.watch.sdownSince).toBe(1500);
    verdict = evaluateSdown(onPingReply(verdict.watch, 'pong', 1700), 1700, master);
    expect(verdict).toMatchObject({ event: '-sdown', reason: null });
    expect(verdict.watch.sdownSince).toBeNull();
  });

  it('holds the master of record down when it reports role:slave longer than down-after + 2 INFO periods', () => {
    let watch = onInfoRole(newWatch(0), 'master', 0);
    watch = onInfoRole(watch, 'slave', 1000);
    const limit = 1000 + master.downAfterMs + 2 * INFO_PERIOD_MS;
    watch = onPingReply(watch, 'pong', limit);
    expect(evaluateSdown(watch, limit, master).event).toBeNull();
    watch = onPingReply(watch, 'pong', limit + 1);
    expect(evaluateSdown(watch, limit + 1, master)).toMatchObject({ event: '+sdown', reason: 'reports-slave' });
  });

  it('does not hold a replica down for reporting role:slave', () => {
    let watch = onInfoRole(newWatch(0), 'slave', 0);
    watch = onPingReply(watch, 'pong', 60_000);
    expect(evaluateSdown(watch, 60_000, { ...master, expectMaster: false }).event).toBeNull();
  });

  it('keeps roleSince while the role does not change', () => {
    const watch = onInfoRole(newWatch(0), 'slave', 100);
    expect(onInfoRole(watch, 'slave', 5000).roleSince).toBe(100);
    expect(onInfoRole(watch, 'master', 5000).roleSince).toBe(5000);
  });
});

describe('master reboot (master-reboot-down-after-period)', () => {
  const rules = { ...master, masterRebootDownAfterMs: 3000 };
  const rebooted = (trackReboot: boolean) => onRunId(onRunId(newWatch(0), 'a'.repeat(40), 0, trackReboot).watch, 'b'.repeat(40), 100, trackReboot);

  it('says +reboot when the run_id changes, not when it is first seen', () => {
    expect(onRunId(newWatch(0), 'a'.repeat(40), 0, true).rebooted).toBe(false);
    expect(rebooted(true).rebooted).toBe(true);
    expect(rebooted(true).watch.rebootSince).toBe(100);
    expect(rebooted(false)).toMatchObject({ rebooted: true, watch: { rebootSince: null } });
  });

  it('takes -LOADING after a reboot as alive for the period only, then holds the master SDOWN', () => {
    let watch = rebooted(true).watch;
    for (let t = 200; t <= 3100; t += 100) watch = onPingReply(watch, 'loading', t);
    expect(evaluateSdown(watch, 3100, rules).event).toBeNull();
    watch = onPingReply(watch, 'loading', 3200);
    expect(evaluateSdown(watch, 3200, rules)).toMatchObject({ event: '+sdown', reason: 'reboot-loading' });
  });

  it('ends the reboot at the first PONG, and never applies to a replica or with the period at 0', () => {
    const loaded = onPingReply(onPingReply(rebooted(true).watch, 'loading', 200), 'pong', 300);
    expect(loaded.rebootSince).toBeNull();
    expect(evaluateSdown(onPingSent(loaded, 400), 5000, rules).reason).toBe('no-reply'); // only the missing replies since
    const loading = onPingReply(rebooted(true).watch, 'loading', 4000);
    expect(evaluateSdown(loading, 4000, { ...rules, expectMaster: false }).event).toBeNull();
    expect(evaluateSdown(loading, 4000, { ...rules, masterRebootDownAfterMs: 0 }).event).toBeNull();
  });
});

describe('ODOWN', () => {
  const votes = (...list: Array<[string, number | null, number]>): VoteView[] =>
    list.map(([voter, sdownSince, expiresAt]) => ({ voter, sdownSince, expiresAt }));

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

describe('a watch handed from one invocation to the next', () => {
  const downAfterMs = 5000;
  const held = { ...newWatch(0), lastAcceptableReplyAt: 10_000, pendingPingSince: 10_100, roleSince: 2000, reportedRole: 'slave' as const, sdownSince: null };

  it('keeps its clock across a short gap: a server dead before the handover is SDOWN at down-after after its first unanswered PING', () => {
    const resumed = resumeWatch(held, { gapMs: 200, downAfterMs, now: 10_300 });
    expect(resumed).toEqual(held);
    expect(evaluateSdown(resumed, 15_101, master5s()).event).toBe('+sdown');
  });

  it('after a gap of more than half of down-after counts down-after (and the reported role) again from now', () => {
    const resumed = resumeWatch({ ...held, linkDown: true }, { gapMs: 2600, downAfterMs, now: 12_700 });
    expect(resumed).toMatchObject({ lastAcceptableReplyAt: 12_700, pendingPingSince: null, linkDown: false, roleSince: 12_700 });
    const pinged = onPingSent(resumed, 12_700);
    expect(evaluateSdown(pinged, 15_001, master5s()).event).toBeNull();
    expect(evaluateSdown(pinged, 17_701, master5s()).event).toBe('+sdown');
  });

  it('takes a watch stored before PINGs were tracked as one with nothing pending', () => {
    const { pendingPingSince: _p, linkDown: _l, ...old } = held;
    expect(resumeWatch(old as typeof held, { gapMs: 200, downAfterMs, now: 10_300 })).toMatchObject({ pendingPingSince: null, linkDown: false });
  });

  it('keeps an SDOWN opinion across any gap: only a reply ends it', () => {
    const down = { ...held, sdownSince: 15_000 };
    expect(resumeWatch(down, { gapMs: 60_000, downAfterMs, now: 75_000 }).sdownSince).toBe(15_000);
  });

  function master5s() {
    return { downAfterMs, expectMaster: false };
  }
});

describe('a switch of the master of record', () => {
  it('does not hold the promoted replica down for the role:slave it reported as a replica', () => {
    // A replica for minutes; its last INFO, just before the promotion, still said role:slave.
    const replica = { ...newWatch(0), reportedRole: 'slave' as const, roleSince: 1000, lastAcceptableReplyAt: 600_000 };
    const rules = { downAfterMs: 1000, expectMaster: true, infoPeriodMs: 1000 };
    expect(evaluateSdown(replica, 600_050, rules)).toMatchObject({ event: '+sdown', reason: 'reports-slave' });
    const promoted = asNewMaster(replica, 600_000);
    expect(evaluateSdown(promoted, 600_050, rules).event).toBeNull();
    // Still a replica by its INFO, down-after + 2 INFO periods from the switch: a master reporting role:slave.
    const stillSlave = onInfoRole(promoted, 'slave', 600_100);
    expect(evaluateSdown({ ...stillSlave, lastAcceptableReplyAt: 603_200 }, 603_200, rules)).toMatchObject({ event: '+sdown', reason: 'reports-slave' });
  });

  it("leaves the votes about the old master out of the new one's ODOWN", () => {
    const votes = [
      { voter: 'a', about: '10.0.0.1:6379', sdownSince: 100, expiresAt: 10_000 },
      { voter: 'b', about: '10.0.0.1:6379', sdownSince: 120, expiresAt: 10_000 },
      { voter: 'c', about: '10.0.0.2:6379', sdownSince: 900, expiresAt: 10_000 },
      { voter: 'd', about: null, sdownSince: 950, expiresAt: 10_000 },
    ];
    expect(votesAbout(votes, '10.0.0.2:6379').map((v) => v.voter)).toEqual(['c', 'd']);
    expect(evaluateOdown(votesAbout(votes, '10.0.0.2:6379'), 3, 1000, false).odown).toBe(false);
    expect(evaluateOdown(votes, 3, 1000, false).odown).toBe(true);
  });
});

describe('replicas as witnesses', () => {
  const master = { host: '10.0.0.1', port: 6379 };
  const replica = parseInfo(
    [
      '# Replication',
      'role:slave',
      'master_host:10.0.0.1',
      'master_port:6379',
      'master_link_status:up',
      'master_last_io_seconds_ago:0',
      'slave_repl_offset:100',
    ].join('\r\n'),
  );

  it('says the master is alive while the replica replicates from it with its link up and heard from it within down-after', () => {
    expect(replica.masterLastIoSeconds).toBe(0);
    expect(witnessSeesMaster(replica, master, 1000)).toBe(true);
    expect(witnessSeesMaster({ ...replica, masterLastIoSeconds: 1 }, master, 1000)).toBe(true);
  });

  it('says nothing for a master it has not heard from within down-after (hung), with its link down, or that it does not follow', () => {
    expect(witnessSeesMaster({ ...replica, masterLastIoSeconds: 2 }, master, 1000)).toBe(false);
    expect(witnessSeesMaster({ ...replica, masterLinkUp: false, masterLastIoSeconds: null }, master, 1000)).toBe(false);
    expect(witnessSeesMaster(replica, { host: '10.0.0.2', port: 6379 }, 1000)).toBe(false);
    expect(witnessSeesMaster({ ...replica, role: 'master' }, master, 1000)).toBe(false);
  });
});
