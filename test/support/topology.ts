import { parseConfig, type MasterConfig } from '../../lambdas/core/config.ts';
import type { ReplicationInfo } from '../../lambdas/core/types.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import type { PortAllocator } from '../../local/ports.ts';
import type { RedisServer, RedisServerOptions, RedisServers } from '../../local/redis-servers.ts';

export interface Topology {
  readonly master: RedisServer;
  readonly replicas: readonly RedisServer[];
  readonly all: readonly RedisServer[];
}

export interface TopologyOptions {
  /** One entry per replica. */
  readonly replicas: ReadonlyArray<Partial<Omit<RedisServerOptions, 'port' | 'replicaOf'>>>;
  readonly password?: string;
  /** Extra redis.conf directives for the master only. */
  readonly masterExtra?: ReadonlyArray<readonly [string, string]>;
}

/** A master and its replicas on loopback, every replica connected before this returns. */
export async function startTopology(servers: RedisServers, ports: PortAllocator, options: TopologyOptions): Promise<Topology> {
  const master = await servers.start({ port: await ports.take(), password: options.password, extra: options.masterExtra });
  const replicas: RedisServer[] = [];
  for (const replica of options.replicas) {
    replicas.push(await servers.start({ ...replica, password: options.password, port: await ports.take(), replicaOf: master.address }));
  }
  await waitFor(async () => (await infoOf(master)).connectedReplicas.filter((r) => r.state === 'online').length === replicas.length, {
    timeoutMs: 10_000,
    what: `${replicas.length} replicas online`,
  });
  return { master, replicas, all: [master, ...replicas] };
}

export function infoOf(server: RedisServer): Promise<ReplicationInfo> {
  return server.info();
}

/** The keys the tests write and count (WAIT must say every replica has them): the demo's too. */
export { countKeys, writeKeys } from '../../local/writer.ts';

/**
 * Cuts `replica` off its master (REPLICAOF a port nothing answers on): it stays a replica,
 * reachable, its offset where it was while the master takes more writes.
 */
export async function cutOff(replica: RedisServer, ports: PortAllocator): Promise<void> {
  const client = replica.client();
  try {
    await client.call('REPLICAOF', '127.0.0.1', String(await ports.take()));
  } finally {
    client.disconnect();
  }
}

/** Waits until `server` is a replica of `master` with its link up. */
export async function waitFollowing(server: RedisServer, master: RedisServer): Promise<void> {
  await waitFor(() => server.followsWithLinkUp(master.address), {
    timeoutMs: 15_000,
    what: `${server.options.port} following ${master.options.port} with link up`,
  });
}

/** A validated master config for the topology, as the config file would give it. */
export function masterConfig(topology: Topology, overrides: Record<string, unknown> = {}): MasterConfig {
  const config = parseConfig({
    probes: 1,
    masters: [
      {
        name: 'mymaster',
        host: '127.0.0.1',
        port: topology.master.options.port,
        quorum: 1,
        downAfterMs: 1000,
        failoverTimeoutMs: 10_000,
        knownReplicas: topology.replicas.map((r) => r.address),
        ...overrides,
      },
    ],
  });
  return config.masters[0]!;
}
