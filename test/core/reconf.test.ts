import { describe, expect, it } from 'vitest';
import { advanceReconf, isFinished, reconfDeadline, SLAVE_RECONF_SENT_TIMEOUT_MS, type ReconfObservation } from '../../lambdas/core/reconf.ts';
import type { Address, ReplicationInfo } from '../../lambdas/core/types.ts';
import { FINISHED_PHASES, type ReconfItem, type ReconfPhase } from '../../lambdas/core/workflow-state.ts';

const OLD_MASTER: Address = { host: '10.0.0.1', port: 6379 };
const PROMOTED: Address = { host: '10.0.0.2', port: 6380 };
const TARGET: Address = { host: '10.0.0.3', port: 6381 };

/** Promotion confirmed at this instant: reconfiguration starts here. */
const START = 1_800_000_000_000;
const DOWN_AFTER_MS = 5_000;
const FAILOVER_TIMEOUT_MS = 180_000;
const DEADLINE = START + FAILOVER_TIMEOUT_MS;

/** Replication INFO of a server; a replica of the old master unless patched. */
function replInfo(patch: Partial<ReplicationInfo> = {}): ReplicationInfo {
  return {
    role: 'slave',
    runId: 'a'.repeat(40),
    replicaPriority: 100,
    replOffset: 1234,
    masterHost: OLD_MASTER.host,
    masterPort: OLD_MASTER.port,
    masterLinkUp: false,
    masterLinkDownSinceSeconds: 12,
    masterLastIoSeconds: null,
    connectedReplicas: [],
    loading: false,
    minReplicasGood: null,
    failoverState: null,
    ...patch,
  };
}

/** A replica that already follows the promoted server, with the link up or not. */
function following(linkUp: boolean, patch: Partial<ReplicationInfo> = {}): ReplicationInfo {
  return replInfo({ masterHost: PROMOTED.host, masterPort: PROMOTED.port, masterLinkUp: linkUp, masterLinkDownSinceSeconds: linkUp ? null : 1, ...patch });
}

const seen = (info: ReplicationInfo): ReconfObservation => ({ reachable: true, info });
const UNREACHABLE: ReconfObservation = { reachable: false, info: null };

function item(patch: Partial<ReconfItem> = {}): ReconfItem {
  return {
    target: { ...TARGET, role: 'replica' },
    master: { name: 'mymaster', ...OLD_MASTER },
    promoted: PROMOTED,
    settings: { downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: FAILOVER_TIMEOUT_MS, parallelSyncs: 1, waitStartSeconds: 0 },
    epoch: 7,
    reconfStartedAt: START,
    phase: 'pending',
    ...patch,
  };
}

describe('reconfDeadline / isFinished', () => {
  it('counts failover-timeout from the confirmed promotion', () => {
    expect(reconfDeadline(item())).toBe(START + 180_000);
    expect(reconfDeadline(item({ reconfStartedAt: 1000, settings: { ...item().settings, failoverTimeoutMs: 42 } }))).toBe(1042);
  });

  it('knows exactly the four final phases', () => {
    expect([...FINISHED_PHASES].sort()).toEqual(['done', 'sent-timeout', 'timeout', 'unreachable']);
    const all: ReconfPhase[] = ['pending', 'sent', 'inprog', 'done', 'sent-timeout', 'unreachable', 'timeout'];
    expect(all.filter(isFinished)).toEqual(['done', 'sent-timeout', 'unreachable', 'timeout']);
  });

  it('uses Sentinel’s 10 s SENTINEL_SLAVE_RECONF_TIMEOUT', () => {
    expect(SLAVE_RECONF_SENT_TIMEOUT_MS).toBe(10_000);
  });
});

describe('advanceReconf: replica', () => {
  describe('pending', () => {
    it('sends REPLICAOF and announces +slave-reconf-sent when the replica still follows the old master', () => {
      const now = START + 500;
      expect(advanceReconf(item(), seen(replInfo()), now)).toEqual({
        phase: 'sent',
        sentAt: now,
        unreachableSince: null,
        send: true,
        events: ['+slave-reconf-sent'],
      });
    });

    it('sends when the replica follows some third server', () => {
      const decision = advanceReconf(item(), seen(replInfo({ masterHost: PROMOTED.host, masterPort: 9999 })), START + 1);
      expect(decision.send).toBe(true);
      expect(decision.phase).toBe('sent');
    });

    it('sends when the target reports itself a master', () => {
      const decision = advanceReconf(item(), seen(replInfo({ role: 'master', masterHost: null, masterPort: null })), START + 1);
      expect(decision).toMatchObject({ phase: 'sent', send: true, events: ['+slave-reconf-sent'] });
    });

    it('does not send again when INFO already follows the promoted server, but still moves to sent', () => {
      const now = START + 700;
      expect(advanceReconf(item(), seen(following(false)), now)).toEqual({
        phase: 'sent',
        sentAt: now,
        unreachableSince: null,
        send: false,
        events: ['+slave-reconf-sent'],
      });
    });

    it('is given up at once when unreachable before anything was sent', () => {
      const now = START + 300;
      expect(advanceReconf(item(), UNREACHABLE, now)).toEqual({
        phase: 'unreachable',
        sentAt: null,
        unreachableSince: now,
        send: false,
        events: [],
      });
    });

    it('counts a reachable server without INFO as unreachable', () => {
      expect(advanceReconf(item(), { reachable: true, info: null }, START + 1).phase).toBe('unreachable');
    });

    it('counts INFO from a server marked unreachable as unreachable', () => {
      expect(advanceReconf(item(), { reachable: false, info: replInfo() }, START + 1)).toMatchObject({ phase: 'unreachable', send: false });
    });
  });

  describe('sent', () => {
    const SENT_AT = START + 1_000;
    const sent = (patch: Partial<ReconfItem> = {}) => item({ phase: 'sent', sentAt: SENT_AT, ...patch });

    it('moves to inprog with +slave-reconf-inprog once INFO shows the promoted server as master', () => {
      expect(advanceReconf(sent(), seen(following(false)), SENT_AT + 2_000)).toEqual({
        phase: 'inprog',
        sentAt: SENT_AT,
        unreachableSince: null,
        send: false,
        events: ['+slave-reconf-inprog'],
      });
    });

    it('moves to inprog (not straight to done) even when the link is already up', () => {
      expect(advanceReconf(sent(), seen(following(true)), SENT_AT + 2_000)).toMatchObject({ phase: 'inprog', events: ['+slave-reconf-inprog'] });
    });

    it('needs both host and port of the promoted server', () => {
      const wrongPort = replInfo({ masterHost: PROMOTED.host, masterPort: PROMOTED.port + 1 });
      const wrongHost = replInfo({ masterHost: '10.9.9.9', masterPort: PROMOTED.port });
      expect(advanceReconf(sent(), seen(wrongPort), SENT_AT + 2_000).phase).toBe('sent');
      expect(advanceReconf(sent(), seen(wrongHost), SENT_AT + 2_000).phase).toBe('sent');
    });

    it('needs role slave, not just matching master fields', () => {
      expect(advanceReconf(sent(), seen(following(true, { role: 'master' })), SENT_AT + 2_000).phase).toBe('sent');
    });

    it('stays in sent, silently and without resending, while INFO does not show the promoted server yet', () => {
      expect(advanceReconf(sent(), seen(replInfo()), SENT_AT + 2_000)).toEqual({
        phase: 'sent',
        sentAt: SENT_AT,
        unreachableSince: null,
        send: false,
        events: [],
      });
    });

    it('is not yet timed out at exactly 10 s in sent', () => {
      expect(advanceReconf(sent(), seen(replInfo()), SENT_AT + SLAVE_RECONF_SENT_TIMEOUT_MS)).toMatchObject({ phase: 'sent', events: [] });
    });

    it('times out with -slave-reconf-sent-timeout after more than 10 s in sent', () => {
      expect(advanceReconf(sent(), seen(replInfo()), SENT_AT + SLAVE_RECONF_SENT_TIMEOUT_MS + 1)).toEqual({
        phase: 'sent-timeout',
        sentAt: SENT_AT,
        unreachableSince: null,
        send: false,
        events: ['-slave-reconf-sent-timeout'],
      });
    });

    it('prefers inprog over sent-timeout when the replica follows late', () => {
      expect(advanceReconf(sent(), seen(following(false)), SENT_AT + 60_000).phase).toBe('inprog');
    });

    it('never times out in sent without a sentAt', () => {
      expect(advanceReconf(sent({ sentAt: null }), seen(replInfo()), SENT_AT + 60_000).phase).toBe('sent');
      expect(advanceReconf(sent({ sentAt: undefined }), seen(replInfo()), SENT_AT + 60_000).phase).toBe('sent');
    });
  });

  describe('inprog', () => {
    const SENT_AT = START + 1_000;
    const inprog = (patch: Partial<ReconfItem> = {}) => item({ phase: 'inprog', sentAt: SENT_AT, ...patch });

    it('is done with +slave-reconf-done when the link is up and the replica follows the promoted server', () => {
      expect(advanceReconf(inprog(), seen(following(true)), SENT_AT + 3_000)).toEqual({
        phase: 'done',
        sentAt: SENT_AT,
        unreachableSince: null,
        send: false,
        events: ['+slave-reconf-done'],
      });
    });

    it('stays in inprog while the link is down', () => {
      expect(advanceReconf(inprog(), seen(following(false)), SENT_AT + 3_000)).toEqual({
        phase: 'inprog',
        sentAt: SENT_AT,
        unreachableSince: null,
        send: false,
        events: [],
      });
    });

    it('stays in inprog when the link is up but to another master', () => {
      expect(advanceReconf(inprog(), seen(replInfo({ masterLinkUp: true })), SENT_AT + 3_000)).toMatchObject({ phase: 'inprog', events: [] });
    });

    it('has no sent-timeout of its own', () => {
      expect(advanceReconf(inprog(), seen(following(false)), SENT_AT + SLAVE_RECONF_SENT_TIMEOUT_MS * 5).phase).toBe('inprog');
    });
  });

  describe('unreachable after REPLICAOF was sent', () => {
    const SENT_AT = START + 1_000;

    for (const phase of ['sent', 'inprog'] as const) {
      it(`keeps ${phase} and records since when the server is unreachable`, () => {
        const now = SENT_AT + 2_000;
        expect(advanceReconf(item({ phase, sentAt: SENT_AT }), UNREACHABLE, now)).toEqual({
          phase,
          sentAt: SENT_AT,
          unreachableSince: now,
          send: false,
          events: [],
        });
      });

      it(`keeps ${phase} and the first unreachableSince until down-after has passed`, () => {
        const since = SENT_AT + 2_000;
        const decision = advanceReconf(item({ phase, sentAt: SENT_AT, unreachableSince: since }), UNREACHABLE, since + DOWN_AFTER_MS - 1);
        expect(decision).toEqual({ phase, sentAt: SENT_AT, unreachableSince: since, send: false, events: [] });
      });

      it(`gives ${phase} up as unreachable once down-after has passed since unreachableSince`, () => {
        const since = SENT_AT + 2_000;
        expect(advanceReconf(item({ phase, sentAt: SENT_AT, unreachableSince: since }), UNREACHABLE, since + DOWN_AFTER_MS)).toEqual({
          phase: 'unreachable',
          sentAt: SENT_AT,
          unreachableSince: since,
          send: false,
          events: [],
        });
      });

      it(`clears unreachableSince in ${phase} when the server answers again`, () => {
        const since = SENT_AT + 2_000;
        const decision = advanceReconf(item({ phase, sentAt: SENT_AT, unreachableSince: since }), seen(replInfo()), since + DOWN_AFTER_MS - 1);
        expect(decision.unreachableSince).toBeNull();
        expect(decision.phase).toBe(phase);
      });
    }

    it('does not let an earlier outage count against a later one', () => {
      const since = SENT_AT + 2_000;
      const back = advanceReconf(item({ phase: 'sent', sentAt: SENT_AT, unreachableSince: since }), seen(replInfo()), since + 1_000);
      const afterwards = { ...item({ phase: 'sent', sentAt: SENT_AT }), phase: back.phase, sentAt: back.sentAt, unreachableSince: back.unreachableSince };
      const gone = advanceReconf(afterwards, UNREACHABLE, since + DOWN_AFTER_MS + 10);
      expect(gone).toMatchObject({ phase: 'sent', unreachableSince: since + DOWN_AFTER_MS + 10 });
    });

    it('a reachable step that advances also clears unreachableSince', () => {
      const since = SENT_AT + 2_000;
      expect(advanceReconf(item({ phase: 'sent', sentAt: SENT_AT, unreachableSince: since }), seen(following(false)), since + 100)).toMatchObject({
        phase: 'inprog',
        unreachableSince: null,
        events: ['+slave-reconf-inprog'],
      });
    });
  });

  describe('failover-timeout', () => {
    for (const phase of ['pending', 'sent', 'inprog'] as const) {
      it(`turns ${phase} into timeout past reconfStartedAt + failoverTimeoutMs, without sending or events`, () => {
        expect(advanceReconf(item({ phase, sentAt: phase === 'pending' ? undefined : START + 1 }), seen(following(true)), DEADLINE + 1)).toEqual({
          phase: 'timeout',
          sentAt: phase === 'pending' ? null : START + 1,
          unreachableSince: null,
          send: false,
          events: [],
        });
      });
    }

    it('is not yet reached exactly at the deadline', () => {
      expect(advanceReconf(item(), seen(replInfo()), DEADLINE)).toMatchObject({ phase: 'sent', send: true });
    });

    it('wins over unreachability', () => {
      expect(advanceReconf(item({ phase: 'sent', sentAt: START + 1, unreachableSince: START + 2 }), UNREACHABLE, DEADLINE + 1)).toEqual({
        phase: 'timeout',
        sentAt: START + 1,
        unreachableSince: START + 2,
        send: false,
        events: [],
      });
    });

    it('applies to the old master too', () => {
      expect(advanceReconf(item({ target: { ...OLD_MASTER, role: 'old-master' } }), seen(replInfo({ role: 'master' })), DEADLINE + 1)).toMatchObject({
        phase: 'timeout',
        send: false,
        events: [],
      });
    });
  });
});

for (const role of ['old-master', 'stray-master'] as const)
  describe(`advanceReconf: ${role} (fenced, not waited for)`, () => {
    const demoted = (patch: Partial<ReconfItem> = {}): ReconfItem => item({ target: { ...OLD_MASTER, role }, ...patch });
    const masterInfo = replInfo({ role: 'master', masterHost: null, masterPort: null, masterLinkUp: false, masterLinkDownSinceSeconds: null });

    it('is converted with REPLICAOF and +convert-to-slave, and done at once', () => {
      const now = START + 400;
      expect(advanceReconf(demoted(), seen(masterInfo), now)).toEqual({
        phase: 'done',
        sentAt: now,
        unreachableSince: null,
        send: true,
        events: ['+convert-to-slave'],
      });
    });

    it('is done without sending or events when it already follows the promoted server', () => {
      expect(advanceReconf(demoted(), seen(following(false)), START + 400)).toEqual({
        phase: 'done',
        sentAt: null,
        unreachableSince: null,
        send: false,
        events: [],
      });
    });

    it('is skipped as unreachable when it cannot be reached', () => {
      expect(advanceReconf(demoted(), UNREACHABLE, START + 400)).toEqual({
        phase: 'unreachable',
        sentAt: null,
        unreachableSince: START + 400,
        send: false,
        events: [],
      });
    });
  });

describe('advanceReconf: finished phases never change', () => {
  const observations: Array<[string, ReconfObservation]> = [
    ['unreachable', UNREACHABLE],
    ['following with link up', seen(following(true))],
    ['following the old master', seen(replInfo())],
  ];
  for (const phase of FINISHED_PHASES) {
    for (const [label, observation] of observations) {
      for (const role of ['replica', 'old-master', 'stray-master'] as const) {
        it(`${phase} (${role}) stays ${phase} when ${label}, even past every timeout`, () => {
          const finished = item({ phase, target: { ...TARGET, role }, sentAt: START + 5, unreachableSince: START + 6 });
          expect(advanceReconf(finished, observation, DEADLINE + 1_000_000)).toEqual({
            phase,
            sentAt: START + 5,
            unreachableSince: START + 6,
            send: false,
            events: [],
          });
        });
      }
    }
  }

  it('reports absent sentAt/unreachableSince of a finished item as null', () => {
    expect(advanceReconf(item({ phase: 'done' }), seen(following(true)), START)).toEqual({
      phase: 'done',
      sentAt: null,
      unreachableSince: null,
      send: false,
      events: [],
    });
  });
});

describe('advanceReconf: a whole replica walk', () => {
  it('goes pending → sent → inprog → done with one event each and a single REPLICAOF', () => {
    let current = item();
    const sends: boolean[] = [];
    const events: string[] = [];
    const step = (observation: ReconfObservation, now: number) => {
      const decision = advanceReconf(current, observation, now);
      sends.push(decision.send);
      events.push(...decision.events);
      current = { ...current, phase: decision.phase, sentAt: decision.sentAt, unreachableSince: decision.unreachableSince };
      return decision.phase;
    };
    expect(step(seen(replInfo()), START + 100)).toBe('sent');
    expect(step(seen(replInfo()), START + 200)).toBe('sent');
    expect(step(UNREACHABLE, START + 300)).toBe('sent');
    expect(step(seen(following(false)), START + 400)).toBe('inprog');
    expect(step(seen(following(false)), START + 500)).toBe('inprog');
    expect(step(seen(following(true)), START + 600)).toBe('done');
    expect(step(seen(following(true)), START + 700)).toBe('done');
    expect(sends).toEqual([true, false, false, false, false, false, false]);
    expect(events).toEqual(['+slave-reconf-sent', '+slave-reconf-inprog', '+slave-reconf-done']);
    expect(current.sentAt).toBe(START + 100);
    expect(current.unreachableSince).toBeNull();
  });
});
