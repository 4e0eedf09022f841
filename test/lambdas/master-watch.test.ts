/** A master watch handed from one probe invocation to the next (lambdas/runtime/master-watch.ts). */
import { describe, expect, it } from 'vitest';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { parseConfig } from '../../lambdas/core/config.ts';
import type { FailoverStore } from '../../lambdas/core/interfaces.ts';
import type { WatchSnapshot } from '../../lambdas/core/voter-session.ts';
import { MasterWatch } from '../../lambdas/runtime/master-watch.ts';
import type { VoterDeps } from '../../lambdas/runtime/voter-deps.ts';

const master = parseConfig({ probes: 1, masters: [{ name: 'mymaster', host: '127.0.0.1', port: 6399, quorum: 1 }] }).masters[0]!;

const handed: WatchSnapshot = {
  master: 'mymaster',
  record: { host: '127.0.0.1', port: 6399 },
  instances: [
    {
      host: '127.0.0.1',
      port: 6399,
      watch: {
        lastAcceptableReplyAt: 1000,
        pendingPingSince: null,
        linkDown: false,
        runId: 'r1',
        rebootSince: null,
        reportedRole: 'master',
        roleSince: 500,
        sdownSince: 900,
      },
      wrongMasterSince: null,
      lastRepairAt: 0,
      scriptKillSent: false,
    },
  ],
  voting: { votedSdownSince: 900, lastVoteAt: 950, odown: true },
  election: { lastAttempt: '3@127.0.0.1:6399', blockedUntil: 0 },
  notices: { fenceWarned: ['127.0.0.1:6399'], reported: [] },
};

function deps(store: Partial<FailoverStore>): VoterDeps {
  return {
    voterId: 'eu-west-1a',
    store: store as FailoverStore,
    publisher: new MemoryPublisher(),
    starter: { start: async () => undefined, status: async () => 'unknown' },
    linkOptions: async () => ({}),
    now: () => 2000,
  };
}

describe('a watch taken over from an earlier invocation', () => {
  it('hands on what it was handed while no tick has read the record yet (a table outage loses nothing)', async () => {
    const watch = new MasterWatch(master, deps({ getMaster: () => Promise.reject(new Error('table unreachable')) }));
    watch.resume(handed, 1900);
    await expect(watch.tick()).rejects.toThrow('table unreachable');
    expect(watch.snapshot()).toEqual(handed);
  });
});
