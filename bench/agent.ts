/**
 * The benchmark's hands inside a network namespace (bench/network.ts): the controller cannot
 * reach any address there, so it runs these and talks to them over stdin/stdout.
 *
 *   writer <host> <port>     SETs bench:<n>, one at a time; prints `ack <n>` per acknowledged
 *                            write; `follow <host> <port>` on stdin moves it to another master
 *   roles <host:port>...     prints `role <host:port> <master|refusing|slave|none>` whenever one
 *                            changes (refusing: a master fenced by min-replicas-to-write)
 *                            (INFO every 20 ms, 100 ms timeouts)
 *   missing <host> <port>    reads numbers (one per line) until EOF, prints `missing <count>
 *                            <first> <last>`: how many bench:<n> the server lacks, and which
 *   deployed <cdk.out> <host> <replicas> <namespace>...
 *                            runs the deployed stack on the simulation, its services on
 *                            <host>, probe i's containers in namespace i; prints `ready`
 *                            once it watches every replica, then `event <type> <message>`
 *                            per event on the bus; stops the deployment when stdin closes
 */
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { NO_RECONNECT } from '../lambdas/adapters/redis.ts';
import { sleep } from '../lambdas/core/wait.ts';
import { Writer } from '../local/writer.ts';
import { BENCH_WRITER } from './writer.ts';

const [mode, ...args] = process.argv.slice(2);

function connect(host: string, port: number, timeoutMs: number): Redis {
  const client = new Redis({
    host,
    port,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    ...NO_RECONNECT,
  });
  client.on('error', () => undefined);
  return client;
}

/** The benchmark's writer (local/writer.ts), its acknowledgements on stdout, its moves from stdin. */
async function writer(host: string, port: number): Promise<void> {
  const writing = new Writer({ host, port }, { ...BENCH_WRITER, onAck: (n) => process.stdout.write(`ack ${n}\n`) });
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [word, h, p] = line.split(' ');
    if (word === 'follow' && h && p) writing.follow({ host: h, port: Number(p) });
  });
  const closed = new Promise<void>((resolve) => lines.on('close', () => resolve()));
  writing.start();
  await closed;
  await writing.stop();
}

async function roles(addresses: readonly string[]): Promise<void> {
  const last = new Map<string, string>();
  const clients = new Map(addresses.map((a) => [a, connect(a.split(':')[0]!, Number(a.split(':')[1]), 100)]));
  for (;;) {
    await Promise.all(
      addresses.map(async (address) => {
        const client = clients.get(address)!;
        let role = 'none';
        if (client.status === 'end') {
          clients.set(address, connect(address.split(':')[0]!, Number(address.split(':')[1]), 100));
        } else if (client.status !== 'ready') {
          return; // still connecting: a cut-off server stays so until the connect timeout ends it
        } else {
          try {
            const info = String(await client.call('INFO', 'replication'));
            role = /role:(\w+)/.exec(info)?.[1] ?? 'none';
            // A fenced master (min-replicas-to-write, no replica within the lag) refuses writes.
            if (role === 'master' && /min_slaves_good_slaves:0\b/.test(info)) role = 'refusing';
          } catch {
            client.disconnect();
          }
        }
        if (last.get(address) !== role) {
          last.set(address, role);
          process.stdout.write(`role ${address} ${role}\n`);
        }
      }),
    );
    await sleep(20);
  }
}

async function missing(host: string, port: number): Promise<void> {
  const numbers: string[] = [];
  for await (const line of createInterface({ input: process.stdin })) if (line.trim()) numbers.push(line.trim());
  const client = new Redis({ host, port, connectTimeout: 2000, maxRetriesPerRequest: 1 });
  const lost: string[] = [];
  for (let i = 0; i < numbers.length; i += 1000) {
    const batch = numbers.slice(i, i + 1000);
    const present = await client.pipeline(batch.map((n) => ['exists', `${BENCH_WRITER.prefix}:${n}`])).exec();
    batch.forEach((n, k) => {
      if (present?.[k]?.[1] !== 1) lost.push(n);
    });
  }
  process.stdout.write(`missing ${lost.length} ${lost[0] ?? '-'} ${lost.at(-1) ?? '-'}\n`);
  client.disconnect();
}

async function deployed(assembly: string, host: string, replicas: number, namespaces: readonly string[]): Promise<void> {
  const { deployAcrossNetworks } = await import('./deployed.ts');
  // A function's environment has Lambda's PATH, without /usr/sbin: the launcher names `ip` in full.
  const ip = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
  const deployment = await deployAcrossNetworks({ assembly, host, replicas, probeLaunchers: namespaces.map((ns) => [ip, 'netns', 'exec', ns]) });
  const seen = deployment.events.events.length;
  for (const event of deployment.events.events.slice(0, seen)) process.stdout.write(`event ${event.detailType} ${String(event.detail.message)}\n`);
  deployment.events.on((event) => process.stdout.write(`event ${event.detailType} ${String(event.detail.message)}\n`));
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).on('close', () => resolve()));
  await deployment.stop();
}

if (mode === 'writer') await writer(args[0]!, Number(args[1]));
else if (mode === 'roles') await roles(args);
else if (mode === 'missing') await missing(args[0]!, Number(args[1]));
else if (mode === 'deployed') await deployed(args[0]!, args[1]!, Number(args[2]), args.slice(3));
else {
  process.stderr.write(`bench/agent.ts: unknown mode ${JSON.stringify(mode)} (writer, roles, missing, deployed)\n`);
  process.exit(2);
}
