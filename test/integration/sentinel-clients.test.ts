/**
 * Real Sentinel-aware clients, each configured as its documentation says, against the local
 * runtime's Sentinel port: each discovers the master, writes through it, follows a kill -9
 * failover and a SIGSTOP failover by itself, and reads from a replica, moving to the other when
 * that one dies. Each runs as an application would, in a process of its own
 * (bench/clients/), writing one key at a time and printing each acknowledgement.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AppProcess } from '../../bench/app-process.ts';
import { CLIENT_LABELS, CLIENT_LIBRARIES, clientCommand, startClientApp } from '../../bench/clients.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { orchestrate, waitForEvent } from '../support/orchestrator.ts';
import { startTopology } from '../support/topology.ts';

const { ports, servers: freshServers } = integrationLifecycle();
const CLIENTS = CLIENT_LIBRARIES.map((library) => ({ name: CLIENT_LABELS[library], how: clientCommand(library) }));
for (const client of CLIENTS) if (client.how.command === null) console.warn(`${client.name} tests skipped: ${client.how.reason}`);

const running: AppProcess[] = [];
afterEach(async () => {
  for (const app of running.splice(0)) await app.stop();
});

function startClient(command: readonly string[], sentinelPort: number, mode: 'write' | 'read'): AppProcess {
  const app = startClientApp(command, sentinelPort, mode);
  running.push(app);
  return app;
}

async function hasKey(server: RedisServer, n: number): Promise<boolean> {
  const redis = server.client();
  try {
    return (await redis.get(`client:${n}`)) === String(n);
  } finally {
    redis.disconnect();
  }
}

for (const client of CLIENTS) {
  const command = client.how.command ?? [];
  describe.skipIf(client.how.command === null)(`${client.name} through the Sentinel port`, () => {
    for (const fault of ['kill -9', 'SIGSTOP'] as const) {
      it(`finds the master, writes through it, and follows a ${fault} failover by itself`, async () => {
        const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
        const [promoted] = topology.replicas as [RedisServer, RedisServer];
        const system = await orchestrate(topology, {}, { sentinelPort: 0 });
        const app = startClient(command, system.orchestrator.sentinelPort!.port, 'write');
        await waitFor(() => app.acks.length >= 50, { timeoutMs: 20_000, what: `${client.name} to write through the master` });
        expect(await hasKey(topology.master, app.acks.at(-1)!.n)).toBe(true);

        if (fault === 'kill -9') await topology.master.kill();
        else topology.master.pause();
        const lastBefore = await app.settled();
        try {
          await waitForEvent(system.events, '+switch-master');
          // Its own acknowledgement of a write only the new master can have taken, which the new master holds: it followed by itself.
          const first = await waitFor(() => app.firstAfter(lastBefore), { timeoutMs: 30_000, what: `${client.name} to write again after the ${fault}` });
          expect(await hasKey(promoted, first.n)).toBe(true);
          await waitFor(() => app.acks.length >= app.acks.indexOf(first) + 50, { timeoutMs: 10_000, what: 'more writes on the new master' });
          expect(await hasKey(promoted, app.acks.at(-1)!.n)).toBe(true);
        } finally {
          if (fault === 'SIGSTOP') topology.master.resume();
        }
      });
    }

    it('reads from a replica, and from the other one once that one dies', async () => {
      const topology = await startTopology(freshServers(), ports, { replicas: [{}, {}] });
      const system = await orchestrate(topology, {}, { sentinelPort: 0 });
      // Every replica's INFO read by the voters, so both are offered.
      await waitFor(() => system.orchestrator.voters[0]!.watches[0]!.view()?.replicas.filter((r) => r.info !== null).length === 2, {
        timeoutMs: 10_000,
        what: 'the voters to have read both replicas',
      });
      const app = startClient(command, system.orchestrator.sentinelPort!.port, 'read');
      // The replicas it reads from: one (ioredis, redis-py) or its whole pool (node-redis spreads reads over every replica).
      const replicaPorts = topology.replicas.map((r) => String(r.options.port));
      const readsFrom = (line: { readonly port: string }) => line.port.split(',');
      const first = await waitFor(() => app.replicas.find((r) => readsFrom(r).every((port) => replicaPorts.includes(port))), {
        timeoutMs: 20_000,
        what: `${client.name} to read from a replica`,
      });
      const used = topology.replicas.find((r) => String(r.options.port) === readsFrom(first)[0])!;
      const other = topology.replicas.find((r) => r !== used)!;
      const diedAt = Date.now();
      await used.kill();
      await waitFor(() => app.replicas.find((r) => r.at > diedAt && r.port === String(other.options.port)), {
        timeoutMs: 30_000,
        what: `${client.name} to read from the other replica only`,
      });
      expect(app.replicas.flatMap(readsFrom).every((port) => replicaPorts.includes(port))).toBe(true);
    });
  });
}
