/**
 * Real Redis Sentinel, for comparison: `redis-sentinel` processes on loopback watching one
 * master, with the same down-after, failover-timeout and parallel-syncs as our side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Address } from '../lambdas/core/types.ts';
import { waitFor } from '../lambdas/core/wait.ts';
import { NO_RECONNECT } from '../lambdas/adapters/redis.ts';

export interface SentinelSettings {
  readonly quorum: number;
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  readonly parallelSyncs: number;
}

/** One sentinel's config file in `dir`, listening on `port` at each of `bind`, monitoring `master` as mymaster; its path. */
export function writeSentinelConfig(dir: string, port: number, bind: readonly string[], master: Address, settings: SentinelSettings): string {
  const file = path.join(dir, `sentinel-${port}.conf`);
  writeFileSync(
    file,
    [
      `port ${port}`,
      `bind ${bind.join(' ')}`,
      `dir ${dir}`,
      `logfile ${path.join(dir, `sentinel-${port}.log`)}`,
      `sentinel monitor mymaster ${master.host} ${master.port} ${settings.quorum}`,
      `sentinel down-after-milliseconds mymaster ${settings.downAfterMs}`,
      `sentinel failover-timeout mymaster ${settings.failoverTimeoutMs}`,
      `sentinel parallel-syncs mymaster ${settings.parallelSyncs}`,
    ].join('\n') + '\n',
  );
  return file;
}

export class Sentinels {
  private constructor(
    private readonly children: ChildProcess[],
    readonly ports: readonly number[],
    private readonly dir: string,
  ) {}

  /** Starts one sentinel per port and waits until each knows the others and every replica. */
  static async start(master: Address, replicas: number, ports: readonly number[], settings: SentinelSettings): Promise<Sentinels> {
    const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-sentinel-'));
    const children = ports.map((port) => {
      const file = writeSentinelConfig(dir, port, ['127.0.0.1'], master, settings);
      return spawn('redis-sentinel', [file], { stdio: 'ignore' });
    });
    const sentinels = new Sentinels(children, ports, dir);
    try {
      // Sentinels find each other through hello messages every 2 s: a failover before that has no majority.
      await waitFor(async () => (await Promise.all(ports.map((port) => sentinels.knows(port, ports.length - 1, replicas)))).every(Boolean), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: 'the sentinels to discover each other and every replica',
      });
    } catch (error) {
      await sentinels.stop();
      throw error;
    }
    return sentinels;
  }

  /** Resolves with the new master when the first sentinel publishes +switch-master. */
  async switchMaster(): Promise<{ subscriber: Redis; announced: Promise<{ at: number; address: Address }> }> {
    const subscriber = new Redis({ host: '127.0.0.1', port: this.ports[0]!, lazyConnect: true, maxRetriesPerRequest: 1 });
    await subscriber.connect();
    const announced = new Promise<{ at: number; address: Address }>((resolve) => {
      subscriber.on('message', (_channel: string, message: string) => {
        const [, , , host, port] = message.split(' ');
        resolve({ at: Date.now(), address: { host: host!, port: Number(port) } });
      });
    });
    await subscriber.subscribe('+switch-master');
    return { subscriber, announced };
  }

  /** SENTINEL GET-MASTER-ADDR-BY-NAME, asked of the first sentinel: what Sentinel-aware clients are given. */
  async masterAddress(): Promise<Address | null> {
    const client = new Redis({ host: '127.0.0.1', port: this.ports[0]!, lazyConnect: true, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as [string, string] | null;
      return reply ? { host: reply[0], port: Number(reply[1]) } : null;
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async knows(port: number, others: number, replicas: number): Promise<boolean> {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, ...NO_RECONNECT });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const peers = (await client.call('SENTINEL', 'SENTINELS', 'mymaster')) as unknown[];
      const known = (await client.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[];
      return peers.length >= others && known.length >= replicas;
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}
