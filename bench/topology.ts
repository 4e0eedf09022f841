/** The loopback topology every trial fails over: one master and its replicas, in sync. */
import { waitFor } from '../lambdas/core/wait.ts';
import type { RedisServer, RedisServers } from '../local/redis-servers.ts';

export interface Topology {
  readonly master: RedisServer;
  readonly replicas: readonly RedisServer[];
}

/**
 * Starts the master and `replicas` replicas, each on the next port of `port` (taken only once the
 * previous server listens, so a source of free ports never hands out one twice), and waits until
 * every replica is online.
 */
export async function startTopology(servers: RedisServers, replicas: number, port: () => Promise<number>): Promise<Topology> {
  const master = await servers.start({ port: await port() });
  const started: RedisServer[] = [];
  for (let i = 0; i < replicas; i++) started.push(await servers.start({ port: await port(), replicaOf: master.address }));
  await waitFor(async () => (await master.info()).connectedReplicas.filter((r) => r.state === 'online').length === started.length, {
    timeoutMs: 10_000,
    what: 'replicas in sync',
  });
  return { master, replicas: started };
}

/** A port source that hands out `ports` in order, once each: one per topology started on ports picked in advance. */
export function fixedPorts(ports: readonly number[]): () => Promise<number> {
  let next = 0;
  return async () => {
    const port = ports[next++];
    if (port === undefined) throw new Error(`only ${ports.length} ports were picked for this topology`);
    return port;
  };
}
