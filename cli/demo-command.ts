/**
 * `redis-failover demo`: a whole failover on this machine, start to finish, with nothing
 * but redis-server installed. Everything it starts, it stops.
 */
import { FanoutPublisher, MemoryPublisher } from '../lambdas/adapters/publisher.ts';
import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { addressKey } from '../lambdas/core/address.ts';
import { parseConfig } from '../lambdas/core/config.ts';
import { followsMaster } from '../lambdas/core/info.ts';
import type { Address } from '../lambdas/core/types.ts';
import { withRedis } from '../lambdas/adapters/redis.ts';
import { manualFailover } from '../local/manual-failover.ts';
import { osFreePort } from '../local/ports.ts';
import { RedisServers, redisServerAvailable, type RedisServer } from '../local/redis-servers.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { EXIT, UsageError } from './errors.ts';
import { note } from './notes.ts';
import { describeOutcome } from './outcome.ts';

const KEYS = 1000;

export interface DemoOptions {
  readonly eventsFile?: string;
  readonly timestamps: boolean;
}

export async function demoCommand(options: DemoOptions): Promise<number> {
  if (!redisServerAvailable()) {
    throw new UsageError('redis-server is not on the PATH: install it first (Debian/Ubuntu: sudo apt-get install redis-server)');
  }
  const servers = new RedisServers();
  const stop = () => void servers.stopAll().then(() => process.exit(EXIT.failed));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    note('loading the failover workflow (synthesized from the CDK stack)');
    await LocalWorkflow.load();

    const master = await servers.start({ port: await osFreePort() });
    const replicas = [
      await servers.start({ port: await osFreePort(), replicaOf: master.address, replicaPriority: 100 }),
      await servers.start({ port: await osFreePort(), replicaOf: master.address, replicaPriority: 50 }),
    ];
    note(`started master ${addressKey(master.address)} and replicas ${replicas.map((r) => `${addressKey(r.address)} (replica-priority ${r.options.replicaPriority})`).join(', ')}`);

    const client = master.client();
    for (let i = 0; i < KEYS; i++) await client.set(`demo:${i}`, String(i));
    const acked = Number(await client.call('WAIT', '2', '5000'));
    client.disconnect();
    note(`wrote ${KEYS} keys; WAIT says ${acked} replicas have them`);

    const config = parseConfig(
      {
        probes: 1,
        masters: [
          {
            name: 'mymaster',
            ...master.address,
            quorum: 1,
            downAfterMs: 1000,
            failoverTimeoutMs: 10_000,
            knownReplicas: replicas.map((r) => r.address),
          },
        ],
      },
      'demo',
    );
    note(`kill -9 master ${addressKey(master.address)} (pid ${master.pid})`);
    const killedAt = Date.now();
    await master.kill();

    const memory = new MemoryPublisher();
    const { execution } = await manualFailover({
      master: config.masters[0]!,
      publisher: new FanoutPublisher([new LocalPublisher({ jsonLinesFile: options.eventsFile, timestamps: options.timestamps }), memory]),
    });
    const outcome = describeOutcome(execution);

    process.stdout.write(`\nTimeline (ms since kill -9 of the master)\n`);
    process.stdout.write(`  ${'0'.padStart(6)}  kill -9 ${addressKey(master.address)}\n`);
    for (const event of memory.events) {
      process.stdout.write(`  ${String(Date.parse(event.time) - killedAt).padStart(6)}  ${event.type} ${event.message}\n`);
    }

    process.stdout.write(`\nSummary\n  ${outcome.summary}\n`);
    const newMaster = execution.output?.switched?.newMaster;
    const promoted = replicas.find((r) => newMaster && addressKey(r.address) === addressKey(newMaster));
    if (newMaster && promoted) {
      const keys = await countKeys(promoted);
      process.stdout.write(`  data: ${keys}/${KEYS} keys present on the new master\n`);
      for (const replica of replicas.filter((r) => addressKey(r.address) !== addressKey(newMaster))) {
        const state = await replicaState(replica.address, newMaster);
        process.stdout.write(`  replica ${addressKey(replica.address)}: ${state}\n`);
      }
    }
    return outcome.ok ? EXIT.ok : EXIT.failed;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await servers.stopAll();
    note('stopped every redis-server the demo started');
  }
}

async function countKeys(server: RedisServer): Promise<number> {
  const client = server.client();
  try {
    let present = 0;
    for (let i = 0; i < KEYS; i += 100) {
      present += await client.exists(Array.from({ length: 100 }, (_, j) => `demo:${i + j}`));
    }
    return present;
  } finally {
    client.disconnect();
  }
}

async function replicaState(replica: Address, newMaster: Address): Promise<string> {
  const info = await withRedis(replica, {}, (link) => link.info());
  if (!followsMaster(info, newMaster)) return `follows ${info.masterHost}:${info.masterPort} (not the new master)`;
  return `follows the new master, link ${info.masterLinkUp ? 'up' : 'down'}`;
}
