/** Sentinel's field lists from what a voter sees; the names and order are those redis-sentinel 7.0 sends (see test/integration/sentinel-protocol.test.ts). */
import { describe, expect, it } from 'vitest';
import { newWatch, type InstanceWatch } from '../../lambdas/core/detection.ts';
import { flags, infoMasterLine, masterFields, replicaFields, type MasterView } from '../../local/sentinel-fields.ts';

const NOW = 1_000_000;

function master(watch: Partial<InstanceWatch> | null, over: Partial<MasterView> = {}): MasterView {
  return {
    address: { host: '10.0.0.1', port: 6379 },
    watch: watch && { ...newWatch(NOW - 5000), ...watch },
    info: null,
    infoAt: null,
    disconnected: watch?.linkDown ?? false,
    name: 'mymaster',
    epoch: 3,
    quorum: 2,
    downAfterMs: 1000,
    failoverTimeoutMs: 10_000,
    parallelSyncs: 1,
    replicas: 2,
    odownSince: null,
    failoverState: null,
    ...over,
  };
}

describe('SENTINEL MASTER fields', () => {
  it('are the 20 of a healthy master, in Sentinel’s order, times in milliseconds ago', () => {
    const list = masterFields(master({ lastAcceptableReplyAt: NOW - 40, roleSince: NOW - 4000 }, { infoAt: NOW - 300 }), NOW);
    expect(list.map(([field]) => field)).toEqual([
      'name',
      'ip',
      'port',
      'runid',
      'flags',
      'link-pending-commands',
      'link-refcount',
      'last-ping-sent',
      'last-ok-ping-reply',
      'last-ping-reply',
      'down-after-milliseconds',
      'info-refresh',
      'role-reported',
      'role-reported-time',
      'config-epoch',
      'num-slaves',
      'num-other-sentinels',
      'quorum',
      'failover-timeout',
      'parallel-syncs',
    ]);
    expect(Object.fromEntries(list)).toMatchObject({
      flags: 'master',
      'last-ping-sent': '0',
      'last-ok-ping-reply': '40',
      'info-refresh': '300',
      'role-reported': 'master',
      'role-reported-time': '4000',
      'config-epoch': '3',
      'num-other-sentinels': '0',
    });
  });

  it('while down and failing over: s_down,o_down,master,failover_in_progress, with failover-state and the down times where Sentinel puts them', () => {
    const view = master(
      { pendingPingSince: NOW - 1500, lastAcceptableReplyAt: NOW - 1600, sdownSince: NOW - 600 },
      { odownSince: NOW - 500, failoverState: 'wait_promotion' },
    );
    const list = masterFields(view, NOW);
    expect(list.slice(4, 13)).toEqual([
      ['flags', 's_down,o_down,master,failover_in_progress'],
      ['link-pending-commands', '0'],
      ['link-refcount', '1'],
      ['failover-state', 'wait_promotion'],
      ['last-ping-sent', '1500'],
      ['last-ok-ping-reply', '1600'],
      ['last-ping-reply', '1600'],
      ['s-down-time', '600'],
      ['o-down-time', '500'],
    ]);
  });

  it('flags a lost connection disconnected, as Sentinel does at once after kill -9', () => {
    expect(flags('master', master({ linkDown: true }))).toBe('master,disconnected');
    expect(flags('master', master({ linkDown: true, sdownSince: NOW }))).toBe('s_down,master,disconnected');
    expect(flags('master', { ...master({}), disconnected: true })).toBe('master,disconnected');
  });
});

describe('SENTINEL REPLICAS fields', () => {
  it('are the 21 Sentinel sends, with what INFO said, and its defaults for what it never heard', () => {
    const live = replicaFields(
      {
        address: { host: '10.0.0.2', port: 6379 },
        watch: newWatch(NOW - 1000),
        info: {
          role: 'slave',
          runId: 'r2',
          replicaPriority: 10,
          replOffset: 1234,
          masterHost: '10.0.0.1',
          masterPort: 6379,
          masterLinkUp: true,
          masterLinkDownSinceSeconds: null,
          masterLastIoSeconds: 0,
          connectedReplicas: [],
          loading: false,
          minReplicasGood: null,
          failoverState: null,
        },
        infoAt: NOW - 100,
        disconnected: false,
      },
      1000,
      NOW,
    );
    expect(live.map(([field]) => field)).toEqual([
      'name',
      'ip',
      'port',
      'runid',
      'flags',
      'link-pending-commands',
      'link-refcount',
      'last-ping-sent',
      'last-ok-ping-reply',
      'last-ping-reply',
      'down-after-milliseconds',
      'info-refresh',
      'role-reported',
      'role-reported-time',
      'master-link-down-time',
      'master-link-status',
      'master-host',
      'master-port',
      'slave-priority',
      'slave-repl-offset',
      'replica-announced',
    ]);
    expect(Object.fromEntries(live)).toMatchObject({
      name: '10.0.0.2:6379',
      runid: 'r2',
      flags: 'slave',
      'master-link-status': 'ok',
      'slave-priority': '10',
      'slave-repl-offset': '1234',
    });
    const never = Object.fromEntries(
      replicaFields({ address: { host: '10.0.0.3', port: 6379 }, watch: null, info: null, infoAt: null, disconnected: false }, 1000, NOW),
    );
    expect(never).toMatchObject({
      runid: '',
      flags: 'slave',
      'role-reported': 'slave',
      'master-link-status': 'err',
      'master-host': '?',
      'master-port': '0',
      'slave-priority': '100',
    });
  });

  it('shows a replica that says role:master (promoted behind our back) as Sentinel does, and one judged down with s_down', () => {
    const promoted = Object.fromEntries(
      replicaFields(
        {
          address: { host: '10.0.0.2', port: 6379 },
          watch: { ...newWatch(NOW), sdownSince: NOW - 10, linkDown: true },
          info: {
            role: 'master',
            runId: 'r2',
            replicaPriority: 100,
            replOffset: 99,
            masterHost: null,
            masterPort: null,
            masterLinkUp: false,
            masterLinkDownSinceSeconds: 3,
            masterLastIoSeconds: null,
            connectedReplicas: [],
            loading: false,
            minReplicasGood: null,
            failoverState: null,
          },
          infoAt: NOW - 2000,
          disconnected: true,
        },
        1000,
        NOW,
      ),
    );
    expect(promoted).toMatchObject({
      flags: 's_down,slave,disconnected',
      'role-reported': 'master',
      'master-link-status': 'err',
      'master-link-down-time': '3000',
      's-down-time': '10',
    });
  });
});

describe('INFO masterN line', () => {
  it('says ok, sdown or odown', () => {
    expect(infoMasterLine(0, master(null))).toBe('master0:name=mymaster,status=ok,address=10.0.0.1:6379,slaves=2,sentinels=1');
    expect(infoMasterLine(1, master({ sdownSince: NOW }))).toContain('status=sdown');
    expect(infoMasterLine(1, master({ sdownSince: NOW }, { odownSince: NOW }))).toContain('status=odown');
  });
});
