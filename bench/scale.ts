/**
 * The probe at scale: one voter watching M masters (each a real redis-server), how long one
 * PING round over all of them takes, and how much memory the voter holds.
 */
import { MemoryPublisher } from '../lambdas/adapters/publisher.ts';
import { PollingLink } from '../lambdas/adapters/redis.ts';
import { createTable, DynamoDbStore } from '../lambdas/adapters/dynamodb-store.ts';
import { parseConfig } from '../lambdas/core/config.ts';
import { pingPeriodMs } from '../lambdas/core/detection.ts';
import { sleep, waitFor } from '../lambdas/core/wait.ts';
import { Voter } from '../lambdas/runtime/voter.ts';
import { startDynalite } from '../local/dynalite.ts';
import { RedisServers } from '../local/redis-servers.ts';
import { stats, type Stats } from './report.ts';

export interface ScaleResult {
  readonly masters: number;
  readonly pingPeriodMs: number;
  /** One PING to every master, all at once, until the last reply. */
  readonly pingRoundMs: Stats;
  /** Ticks each master's watch made per second, against 1000 / ping period expected. */
  readonly ticksPerSecond: number;
  /** Heap and RSS the voter added to this process. */
  readonly voterHeapMb: number;
  readonly voterRssMb: number;
  /** The whole process (voter, dynalite, benchmark) at the end: an upper bound for one voter. */
  readonly processRssMb: number;
}

export async function runScale(masters: number, port: () => Promise<number>, downAfterMs = 1000, seconds = 5): Promise<ScaleResult> {
  const servers = new RedisServers();
  const dynamo = await startDynalite();
  try {
    const started = await Promise.all(Array.from({ length: masters }, async () => servers.start({ port: await port() })));
    await createTable(dynamo.client, 'scale');
    const store = new DynamoDbStore({ client: dynamo.client, tableName: 'scale' });
    const config = parseConfig({
      probes: 1,
      masters: started.map((s, i) => ({ name: `m${i}`, ...s.address, quorum: 1, downAfterMs })),
    });
    global.gc?.();
    const before = process.memoryUsage();
    const voter = new Voter(config.masters, {
      voterId: 'scale',
      store,
      publisher: new MemoryPublisher(),
      starter: { start: async () => undefined, status: async () => 'unknown' },
      linkOptions: async () => ({}),
      now: () => Date.now(),
    });
    const running = voter.run();
    await waitFor(() => voter.watches.every((w) => w.ticks > 2), { timeoutMs: 30_000, what: 'every watch ticking' });
    const ticksAtStart = voter.watches.reduce((sum, w) => sum + w.ticks, 0);
    const startedAt = Date.now();

    // Measured beside the running voter, with links like its own.
    const links = started.map((s) => new PollingLink(s.address, { connectTimeoutMs: 1000, commandTimeoutMs: 1000 }));
    const rounds: number[] = [];
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      const t = performance.now();
      await Promise.all(links.map((l) => l.use((link) => link.ping())));
      rounds.push(performance.now() - t);
      await sleep(pingPeriodMs(downAfterMs));
    }
    await Promise.all(links.map((l) => l.close()));
    const ticks = voter.watches.reduce((sum, w) => sum + w.ticks, 0) - ticksAtStart;
    const elapsed = (Date.now() - startedAt) / 1000;
    global.gc?.();
    const after = process.memoryUsage();
    voter.stop();
    await running;
    return {
      masters,
      pingPeriodMs: pingPeriodMs(downAfterMs),
      pingRoundMs: stats(rounds.slice(1)),
      ticksPerSecond: ticks / masters / elapsed,
      voterHeapMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
      voterRssMb: (after.rss - before.rss) / 2 ** 20,
      processRssMb: after.rss / 2 ** 20,
    };
  } finally {
    await servers.stopAll();
    await dynamo.stop();
  }
}
