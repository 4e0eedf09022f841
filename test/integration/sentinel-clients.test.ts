/**
 * Real Sentinel-aware clients, each configured as its documentation says, against the local
 * runtime's Sentinel port: each discovers the master, writes through it, follows a kill -9
 * failover and a SIGSTOP failover by itself, and reads from a replica, moving to the other when
 * that one dies. Each runs as an application would, in a process of its own
 * (test/support/clients/), writing one key at a time and printing each acknowledgement.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { orchestrate, waitForEvent } from '../support/orchestrator.ts';
import { startTopology } from '../support/topology.ts';

const { ports, servers: freshServers } = integrationLifecycle();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_CLIENT = fileURLToPath(new URL('../support/clients/node-client.ts', import.meta.url));
const PY_CLIENT = fileURLToPath(new URL('../support/clients/redis_py_client.py', import.meta.url));
/** Debian's python3-redis is for Debian's Python (scripts/ensure-deps.sh installs it). */
const PYTHON = '/usr/bin/python3';
const redisPy = spawnSync(PYTHON, ['-c', 'import redis'], { stdio: 'ignore' }).status === 0;
if (!redisPy) console.warn(`redis-py tests skipped: ${PYTHON} cannot import redis (apt-get install python3-redis)`);

const CLIENTS = [
  { name: 'ioredis 5', command: [process.execPath, '--import', 'tsx', NODE_CLIENT, 'ioredis'], available: true },
  { name: 'node-redis 5 (createSentinel)', command: [process.execPath, '--import', 'tsx', NODE_CLIENT, 'node-redis-5'], available: true },
  { name: 'node-redis 6 (createSentinel, RESP3)', command: [process.execPath, '--import', 'tsx', NODE_CLIENT, 'node-redis-6'], available: true },
  { name: 'redis-py (Sentinel.master_for / slave_for)', command: [PYTHON, PY_CLIENT], available: redisPy },
] as const;

/** One client process and what it printed, with when each line arrived. */
class ClientProcess {
  readonly acks: Array<{ readonly n: number; readonly at: number }> = [];
  readonly replicas: Array<{ readonly port: string; readonly at: number }> = [];
  readonly failures: string[] = [];

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [word, rest = ''] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
      if (word === 'ack') this.acks.push({ n: Number(rest), at: Date.now() });
      else if (word === 'replica') this.replicas.push({ port: rest, at: Date.now() });
      else if (word === 'fail') this.failures.push(rest);
    });
  }

  /** The first acknowledgement after `since`. */
  ackAfter(since: number): { readonly n: number; readonly at: number } | undefined {
    return this.acks.find((ack) => ack.at > since);
  }
}

const running: ClientProcess[] = [];
afterEach(async () => {
  for (const client of running.splice(0)) {
    const exited = new Promise((resolve) => client.child.once('exit', resolve));
    client.child.stdin!.end();
    const timer = setTimeout(() => client.child.kill('SIGKILL'), 3000);
    if (client.child.exitCode === null && client.child.signalCode === null) await exited;
    clearTimeout(timer);
  }
});

function startClient(command: readonly string[], sentinelPort: number, mode: 'write' | 'read'): ClientProcess {
  const [program, ...args] = command as unknown as [string, ...string[]];
  const child = spawn(program, [...args, String(sentinelPort), mode], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const client = new ClientProcess(child);
  running.push(client);
  return client;
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
  describe.skipIf(!client.available)(`${client.name} through the Sentinel port`, () => {
    for (const fault of ['kill -9', 'SIGSTOP'] as const) {
      it(`finds the master, writes through it, and follows a ${fault} failover by itself`, async () => {
        const topology = await startTopology(freshServers(), ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
        const [promoted] = topology.replicas as [RedisServer, RedisServer];
        const system = await orchestrate(topology, {}, { sentinelPort: 0 });
        const app = startClient(client.command, system.orchestrator.sentinelPort!.port, 'write');
        await waitFor(() => app.acks.length >= 50, { timeoutMs: 20_000, what: `${client.name} to write through the master` });
        expect(await hasKey(topology.master, app.acks.at(-1)!.n)).toBe(true);

        const faultAt = Date.now();
        if (fault === 'kill -9') await topology.master.kill();
        else topology.master.pause();
        try {
          await waitForEvent(system.events, '+switch-master');
          // Its own acknowledgement after the fault, of a write the new master holds: it followed by itself.
          const first = await waitFor(() => app.ackAfter(faultAt), { timeoutMs: 30_000, what: `${client.name} to write again after the ${fault}` });
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
      await waitFor(() => system.orchestrator.voters[0]!.watches[0]!.view()?.replicas.filter((r) => r.info !== null).length === 2, { timeoutMs: 10_000, what: 'the voters to have read both replicas' });
      const app = startClient(client.command, system.orchestrator.sentinelPort!.port, 'read');
      // The replicas it reads from: one (ioredis, redis-py) or its whole pool (node-redis spreads reads over every replica).
      const replicaPorts = topology.replicas.map((r) => String(r.options.port));
      const readsFrom = (line: { readonly port: string }) => line.port.split(',');
      const first = await waitFor(() => app.replicas.find((r) => readsFrom(r).every((port) => replicaPorts.includes(port))), { timeoutMs: 20_000, what: `${client.name} to read from a replica` });
      const used = topology.replicas.find((r) => String(r.options.port) === readsFrom(first)[0])!;
      const other = topology.replicas.find((r) => r !== used)!;
      const diedAt = Date.now();
      await used.kill();
      await waitFor(() => app.replicas.find((r) => r.at > diedAt && r.port === String(other.options.port)), { timeoutMs: 30_000, what: `${client.name} to read from the other replica only` });
      expect(app.replicas.flatMap(readsFrom).every((port) => replicaPorts.includes(port))).toBe(true);
    });
  });
}
