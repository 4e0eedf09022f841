import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { followsMaster, parseInfo, parseInfoFields, parseReplicaLine } from '../../lambdas/core/info.ts';

/** Real `redis-cli INFO` output from redis-server 7.0.15 (CRLF line endings). */
function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/info/${name}`, import.meta.url), 'utf8');
}

const MASTER_RUN_ID = '3cc2ff43b9569501ebaefcddfd84142bb7b6d179';
const REPLICA_RUN_ID = '53bce754dfee3a7b5f6bec34825c96266b4103d7';

describe('parseInfo on real redis-server 7.0 output', () => {
  it('fixtures really use CRLF', () => {
    expect(fixture('replica-link-up.txt')).toContain('\r\n');
  });

  it('master without replicas', () => {
    expect(parseInfo(fixture('master-no-replicas.txt'))).toEqual({
      role: 'master',
      runId: MASTER_RUN_ID,
      replicaPriority: 100,
      replOffset: 0,
      masterHost: null,
      masterPort: null,
      masterLinkUp: false,
      masterLinkDownSinceSeconds: null,
      masterLastIoSeconds: null,
      connectedReplicas: [],
      loading: false,
      minReplicasGood: null,
      failoverState: 'no-failover',
    });
  });

  it('master with two replicas lists them in order, offset from master_repl_offset', () => {
    expect(parseInfo(fixture('master-with-2-replicas.txt'))).toEqual({
      role: 'master',
      runId: MASTER_RUN_ID,
      replicaPriority: 100,
      replOffset: 52,
      masterHost: null,
      masterPort: null,
      masterLinkUp: false,
      masterLinkDownSinceSeconds: null,
      masterLastIoSeconds: null,
      connectedReplicas: [
        { host: '127.0.0.1', port: 23802, state: 'online', offset: 52, lag: 0 },
        { host: '127.0.0.1', port: 23803, state: 'online', offset: 52, lag: 0 },
      ],
      loading: false,
      minReplicasGood: null,
      failoverState: 'no-failover',
    });
  });

  it('replica with its link up', () => {
    expect(parseInfo(fixture('replica-link-up.txt'))).toEqual({
      role: 'slave',
      runId: REPLICA_RUN_ID,
      replicaPriority: 100,
      replOffset: 52,
      masterHost: '127.0.0.1',
      masterPort: 23801,
      masterLinkUp: true,
      masterLinkDownSinceSeconds: null,
      masterLastIoSeconds: 1,
      connectedReplicas: [],
      loading: false,
      minReplicasGood: null,
      failoverState: 'no-failover',
    });
  });

  it('replica whose master was killed: link down for the reported seconds', () => {
    const info = parseInfo(fixture('replica-link-down.txt'));
    expect(info.role).toBe('slave');
    expect(info.runId).toBe(REPLICA_RUN_ID);
    expect(info.masterLinkUp).toBe(false);
    expect(info.masterLinkDownSinceSeconds).toBe(4);
    expect(info.replOffset).toBe(52);
    expect(info.masterHost).toBe('127.0.0.1');
    expect(info.masterPort).toBe(23801);
  });

  it('replica that never connected (Redis prints -1): down forever', () => {
    const info = parseInfo(fixture('replica-never-connected.txt'));
    expect(info.masterLinkUp).toBe(false);
    expect(info.masterLinkDownSinceSeconds).toBe(Number.POSITIVE_INFINITY);
    expect(info.masterPort).toBe(23899);
    // slave_repl_offset (1), not master_repl_offset (0)
    expect(info.replOffset).toBe(1);
    expect(info.runId).toBe('6990419ab745b0250637de087480a306bfdec48a');
  });

  it('replica-priority 0', () => {
    const info = parseInfo(fixture('replica-priority-0.txt'));
    expect(info.replicaPriority).toBe(0);
    expect(info.role).toBe('slave');
    expect(info.masterLinkUp).toBe(true);
    expect(info.runId).toBe('07fc944522a7866ae02b12f3ef327246c8d5c03b');
  });

  it('replica loading its first sync', () => {
    const info = parseInfo(fixture('replica-loading.txt'));
    expect(info.loading).toBe(true);
    expect(info.role).toBe('slave');
    expect(info.masterPort).toBe(23805);
    expect(info.masterLinkUp).toBe(false);
    expect(info.masterLinkDownSinceSeconds).toBe(Number.POSITIVE_INFINITY);
  });

  it('every other fixture reports loading false', () => {
    for (const name of [
      'master-no-replicas.txt',
      'master-with-2-replicas.txt',
      'replica-link-up.txt',
      'replica-link-down.txt',
      'replica-never-connected.txt',
      'replica-priority-0.txt',
    ]) {
      expect(parseInfo(fixture(name)).loading, name).toBe(false);
    }
  });
});

describe('parseInfo on edited or synthetic input', () => {
  it('gives defaults for empty input', () => {
    expect(parseInfo('')).toEqual({
      role: 'unknown',
      runId: null,
      replicaPriority: 100,
      replOffset: 0,
      masterHost: null,
      masterPort: null,
      masterLinkUp: false,
      masterLinkDownSinceSeconds: null,
      masterLastIoSeconds: null,
      connectedReplicas: [],
      loading: false,
      minReplicasGood: null,
      failoverState: null,
    });
  });

  it('accepts LF-only endings and the newer replica_priority name', () => {
    const info = parseInfo('# Replication\nrole:slave\nreplica_priority:10\nmaster_link_status:up\nslave_repl_offset:77\n');
    expect(info.replicaPriority).toBe(10);
    expect(info.replOffset).toBe(77);
    expect(info.masterLinkUp).toBe(true);
  });

  it('unknown role values become unknown', () => {
    expect(parseInfo('role:sentinel\r\n').role).toBe('unknown');
    expect(parseInfo('role:\r\n').role).toBe('unknown');
  });

  it('unknown role takes slave_repl_offset, then master_repl_offset', () => {
    expect(parseInfo('slave_repl_offset:5\r\nmaster_repl_offset:9\r\n').replOffset).toBe(5);
    expect(parseInfo('master_repl_offset:9\r\n').replOffset).toBe(9);
  });

  it('a master ignores slave_repl_offset; a replica ignores master_repl_offset', () => {
    expect(parseInfo('role:master\r\nslave_repl_offset:5\r\nmaster_repl_offset:9\r\n').replOffset).toBe(9);
    expect(parseInfo('role:slave\r\nslave_repl_offset:5\r\nmaster_repl_offset:9\r\n').replOffset).toBe(5);
    expect(parseInfo('role:slave\r\nmaster_repl_offset:9\r\n').replOffset).toBe(0);
  });

  it('link down without master_link_down_since_seconds is down forever', () => {
    const info = parseInfo('role:slave\r\nmaster_link_status:down\r\n');
    expect(info.masterLinkDownSinceSeconds).toBe(Number.POSITIVE_INFINITY);
  });

  it('link up ignores a stray master_link_down_since_seconds', () => {
    const info = parseInfo('role:slave\r\nmaster_link_status:up\r\nmaster_link_down_since_seconds:30\r\n');
    expect(info.masterLinkDownSinceSeconds).toBeNull();
  });

  it('link down with 0 seconds is 0, not forever', () => {
    expect(parseInfo('role:slave\r\nmaster_link_status:down\r\nmaster_link_down_since_seconds:0\r\n').masterLinkDownSinceSeconds).toBe(0);
  });

  it('survives garbage lines, headers and unknown fields', () => {
    const text = [
      '# Server',
      'garbage without colon',
      ':value without key',
      'run_id:abc',
      '',
      '# Weird',
      'some_future_field:1:2:3',
      'slave_priority:not-a-number',
      'role:slave',
      'master_port:nope',
      'loading:yes',
    ].join('\r\n');
    const info = parseInfo(text);
    expect(info.runId).toBe('abc');
    expect(info.role).toBe('slave');
    expect(info.replicaPriority).toBe(100);
    expect(info.masterPort).toBeNull();
    expect(info.loading).toBe(false);
  });

  it('skips unusable slaveN lines and keeps IPv6 addresses', () => {
    const text = [
      'role:master',
      'slave0:ip=::1,port=7001,state=wait_bgsave,offset=0,lag=3',
      'slave1:ip=10.0.0.2,state=online',
      'slave2:garbage',
      'slave_read_only:1',
      'slaveX:ip=10.0.0.9,port=1',
      'slave3:ip=10.0.0.3,port=7003',
    ].join('\r\n');
    expect(parseInfo(text).connectedReplicas).toEqual([
      { host: '::1', port: 7001, state: 'wait_bgsave', offset: 0, lag: 3 },
      { host: '10.0.0.3', port: 7003, state: '', offset: 0, lag: null },
    ]);
  });
});

describe('parseReplicaLine', () => {
  it('parses every field', () => {
    expect(parseReplicaLine('ip=127.0.0.1,port=23802,state=online,offset=52,lag=1')).toEqual({
      host: '127.0.0.1',
      port: 23802,
      state: 'online',
      offset: 52,
      lag: 1,
    });
  });

  it('rejects a missing ip or a bad port', () => {
    expect(parseReplicaLine('port=1')).toBeNull();
    expect(parseReplicaLine('ip=,port=1')).toBeNull();
    expect(parseReplicaLine('ip=h,port=0')).toBeNull();
    expect(parseReplicaLine('ip=h,port=1.5')).toBeNull();
    expect(parseReplicaLine('ip=h')).toBeNull();
  });
});

describe('parseInfoFields', () => {
  it('keeps the text after the first colon and skips headers', () => {
    const f = parseInfoFields('# Server\r\nexecutable:/usr/bin/redis-server\r\nx:a:b\r\n');
    expect([...f]).toEqual([
      ['executable', '/usr/bin/redis-server'],
      ['x', 'a:b'],
    ]);
  });
});

describe('followsMaster', () => {
  const replica = parseInfo(fixture('replica-link-up.txt'));

  it('matches host and port', () => {
    expect(followsMaster(replica, { host: '127.0.0.1', port: 23801 })).toBe(true);
  });

  it('rejects another port or host', () => {
    expect(followsMaster(replica, { host: '127.0.0.1', port: 23802 })).toBe(false);
    expect(followsMaster(replica, { host: '127.0.0.2', port: 23801 })).toBe(false);
  });

  it('a master follows nobody', () => {
    expect(followsMaster(parseInfo(fixture('master-with-2-replicas.txt')), { host: '127.0.0.1', port: 23801 })).toBe(false);
  });

  it('still follows while the link is down', () => {
    expect(followsMaster(parseInfo(fixture('replica-link-down.txt')), { host: '127.0.0.1', port: 23801 })).toBe(true);
  });
});

describe('min-replicas fencing', () => {
  it('reads min_slaves_good_slaves only when min-replicas-to-write is set', () => {
    expect(parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmin_slaves_good_slaves:0\r\n').minReplicasGood).toBe(0);
    expect(parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:2\r\nmin_slaves_good_slaves:2\r\n').minReplicasGood).toBe(2);
    expect(parseInfo('# Replication\r\nrole:master\r\nconnected_slaves:0\r\n').minReplicasGood).toBeNull();
  });
});
