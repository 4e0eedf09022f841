/**
 * `redis-failover demo`: a whole automatic failover on this machine, start to finish, with
 * nothing but redis-server installed. Everything it starts, it stops.
 */
import { FanoutPublisher, MemoryPublisher } from '../lambdas/adapters/publisher.ts';
import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { addressKey, sameAddress } from '../lambdas/core/address.ts';
import { parseConfig } from '../lambdas/core/config.ts';
import type { SentinelEvent } from '../lambdas/core/events.ts';
import type { Address } from '../lambdas/core/types.ts';
import { waitFor } from '../lambdas/core/wait.ts';
import { LocalOrchestrator } from '../local/orchestrator.ts';
import { osFreePort } from '../local/ports.ts';
import { RedisServers, redisServerAvailable } from '../local/redis-servers.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { countKeys, writeKeys } from '../local/writer.ts';
import { EXIT } from './errors.ts';
import { note } from './notes.ts';
import { UsageError } from '../lambdas/core/errors.ts';

const KEYS = 1000;
const DOWN_AFTER_MS = 1000;

export interface DemoOptions {
  readonly eventsFile?: string;
  readonly timestamps: boolean;
}

export async function demoCommand(options: DemoOptions): Promise<number> {
  if (!redisServerAvailable()) {
    throw new UsageError('redis-server is not on the PATH: install it first (Debian/Ubuntu: sudo apt-get install redis-server)');
  }
  const servers = new RedisServers();
  let orchestrator: LocalOrchestrator | undefined;
  const interrupted = () => void (orchestrator?.stop() ?? Promise.resolve()).then(() => servers.stopAll()).then(() => process.exit(EXIT.failed));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    note('loading the failover workflow (synthesized from the CDK stack)');
    await LocalWorkflow.load();
    const master = await servers.start({ port: await osFreePort() });
    const replicas = [
      await servers.start({ port: await osFreePort(), replicaOf: master.address, replicaPriority: 100 }),
      await servers.start({ port: await osFreePort(), replicaOf: master.address, replicaPriority: 50 }),
    ];
    note(
      `started master ${addressKey(master.address)} and replicas ${replicas.map((r) => `${addressKey(r.address)} (replica-priority ${r.options.replicaPriority})`).join(', ')}`,
    );

    const config = parseConfig(
      { probes: 3, masters: [{ name: 'mymaster', ...master.address, quorum: 2, downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 10_000 }] },
      'demo',
    );
    note(`starting 3 voters (quorum 2, down-after ${DOWN_AFTER_MS} ms), the table in dynalite, the workflow runner`);
    const memory = new MemoryPublisher();
    orchestrator = await LocalOrchestrator.start({
      config,
      publisher: new FanoutPublisher([new LocalPublisher({ jsonLinesFile: options.eventsFile, timestamps: options.timestamps }), memory]),
      log: note,
    });
    await waitFor(() => replicas.every((r) => memory.events.some((e) => e.type === '+slave' && e.detail.instance?.port === r.options.port)), {
      timeoutMs: 10_000,
      what: 'the voters to discover both replicas (+slave)',
    });

    // WAIT's answer is not checked: the summary counts the keys the new master holds.
    await writeKeys(master, KEYS, 2, 'demo', { requireAck: false });
    note(`wrote ${KEYS} keys; WAIT says both replicas have them`);
    note(`kill -9 master ${addressKey(master.address)} (pid ${master.pid}); the voters should see it down after ${DOWN_AFTER_MS} ms`);
    const killedAt = Date.now();
    await master.kill();

    const switched = await waitFor(() => memory.events.find((e) => e.type === '+switch-master'), { timeoutMs: 30_000, what: '+switch-master' });
    const newMaster = switched.detail.newMaster!;
    const promoted = replicas.find((r) => sameAddress(r.address, newMaster))!;
    const others = replicas.filter((r) => r !== promoted);
    await waitFor(async () => (await Promise.all(others.map((r) => r.followsWithLinkUp(newMaster)))).every(Boolean), {
      timeoutMs: 15_000,
      what: 'the other replica to follow the new master',
    });
    await orchestrator.stop();
    orchestrator = undefined;

    printTimeline(memory.events, killedAt, master.address);
    const keys = await countKeys(promoted, KEYS, 'demo');
    const sdownAt = Date.parse(memory.events.find((e) => e.type === '+sdown' && Date.parse(e.time) >= killedAt)?.time ?? switched.time);
    process.stdout.write(`\nSummary\n`);
    process.stdout.write(`  new master: ${addressKey(newMaster)} (replica-priority ${promoted.options.replicaPriority}), epoch ${switched.detail.epoch}\n`);
    process.stdout.write(
      `  kill -9 → +switch-master: ${Date.parse(switched.time) - killedAt} ms, of which detection (down-after ${DOWN_AFTER_MS} ms) ${sdownAt - killedAt} ms and the failover itself ${Date.parse(switched.time) - sdownAt} ms\n`,
    );
    process.stdout.write(`  data: ${keys}/${KEYS} keys present on the new master\n`);
    for (const replica of others) process.stdout.write(`  replica ${addressKey(replica.address)}: follows the new master, link up\n`);
    process.stdout.write(`  failovers started: ${memory.events.filter((e) => e.type === '+elected-leader').length} (one leader per epoch)\n`);
    return keys === KEYS ? EXIT.ok : EXIT.failed;
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await orchestrator?.stop();
    await servers.stopAll();
    note('stopped every process the demo started');
  }
}

function printTimeline(events: readonly SentinelEvent[], killedAt: number, oldMaster: Address): void {
  process.stdout.write(`\nTimeline (ms since kill -9 of the master ${addressKey(oldMaster)})\n`);
  for (const event of events) {
    const at = Date.parse(event.time) - killedAt;
    if (at < 0) continue;
    const who = event.detail.voter ? `  (${event.detail.voter})` : '';
    process.stdout.write(`  ${String(at).padStart(6)}  ${event.type} ${event.message}${who}\n`);
  }
}
