/**
 * A Node.js application using a Sentinel-aware client library as its documentation says, for the
 * client tests (test/integration/sentinel-clients.test.ts) and the benchmark (bench/clients.ts). Run in its own process, so a client's
 * timers and reconnects cannot disturb the test, and spoken to over stdout:
 *
 *   node-client.ts <ioredis|node-redis-5|node-redis-6> <sentinel-port> write
 *       SET client:<n> one at a time through the master; prints `ack <n>` per acknowledged write
 *   node-client.ts <library> <sentinel-port> read
 *       reads from a replica every 50 ms; prints `replica <port>` whenever the replica it read
 *       from changes (ioredis: INFO on its replica connection; node-redis: its replica node)
 *
 * Prints `fail <error>` (at most every 100 ms) while requests fail; stops when stdin closes.
 */
import { sleep } from '../../lambdas/core/wait.ts';
import { fail, isStopped, within, writeLoop } from './app-io.ts';

const [library, portText, mode] = process.argv.slice(2) as [string, string, 'write' | 'read'];
const port = Number(portText);

/** What each library gives the loop: one write, one read answering the replica's port. */
interface App {
  set(n: number): Promise<void>;
  readReplica(): Promise<string>;
  close(): Promise<void>;
}

async function ioredisApp(): Promise<App> {
  const { Redis } = await import('ioredis');
  const options = { sentinels: [{ host: '127.0.0.1', port }], name: 'mymaster', connectTimeout: 200, commandTimeout: 200, maxRetriesPerRequest: 0 };
  // failoverDetector: ioredis listens to +switch-master, so a hung master (whose socket never closes) is left too.
  const master = new Redis({ ...options, failoverDetector: true });
  const replica = new Redis({ ...options, role: 'slave' as const });
  for (const client of [master, replica]) client.on('error', () => undefined);
  return {
    set: async (n) => void (await master.set(`client:${n}`, String(n))),
    readReplica: async () => /tcp_port:(\d+)/.exec(await replica.info('server'))?.[1] ?? '?',
    close: async () => {
      master.disconnect();
      replica.disconnect();
    },
  };
}

async function nodeRedisApp(packageName: 'redis5' | 'redis6'): Promise<App> {
  const { createSentinel } = (await import(packageName)) as typeof import('redis6');
  const sentinel = createSentinel({
    name: 'mymaster',
    sentinelRootNodes: [{ host: '127.0.0.1', port }],
    replicaPoolSize: 1,
    // A short timeout, as for the other clients: a hung master must not hold a write for long.
    nodeClientOptions: { socket: { connectTimeout: 200 } },
  });
  sentinel.on('error', () => undefined);
  // NODE_CLIENT_TRACE=1: node-redis' own account of each topology change, on stderr (for a person debugging).
  if (process.env.NODE_CLIENT_TRACE === '1') {
    const trace: string[] = [];
    sentinel.setTracer(trace);
    setInterval(() => {
      for (const line of trace.splice(0)) process.stderr.write(`[${Date.now() % 100_000}] ${line}\n`);
    }, 50).unref();
  }
  await sentinel.connect();
  return {
    set: async (n) => void (await sentinel.set(`client:${n}`, String(n))),
    readReplica: async () => {
      // GET is read-only: with replicaPoolSize 1 node-redis sends it to its replica.
      await sentinel.get('client:0');
      const nodes = [...sentinel.getReplicaNodes().keys()].map((node) => String(node.port));
      return nodes.join(',') || '?';
    },
    close: async () => {
      await sentinel.destroy().catch(() => undefined);
    },
  };
}

const app = library === 'ioredis' ? await ioredisApp() : await nodeRedisApp(library === 'node-redis-5' ? 'redis5' : 'redis6');
if (mode === 'write') await writeLoop((n) => app.set(n));
let last: string | null = null;
while (mode === 'read' && !isStopped()) {
  try {
    const seen = await within(app.readReplica());
    if (seen !== last) process.stdout.write(`replica ${(last = seen)}\n`);
    await sleep(50);
  } catch (error) {
    fail(error);
    await sleep(2);
  }
}
await app.close();
process.exit(0);
