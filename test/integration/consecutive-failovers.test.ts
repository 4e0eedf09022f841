/**
 * Failover after failover, kill -9 and SIGSTOP in turn, each time of whichever server is master:
 * every verdict the voters publish must be about a server that really stopped answering. Right
 * after a switch the promoted replica's stale role:slave and the SDOWN votes about the old master
 * once judged the new master down.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { SentinelEvent } from '../../lambdas/core/events.ts';
import type { RedisServer } from '../../local/redis-servers.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { orchestrate, waitForEvent } from '../support/orchestrator.ts';
import { startTopology, waitFollowing } from '../support/topology.ts';

const { ports, servers: freshServers } = integrationLifecycle();

const DOWN_AFTER_MS = 500;
/** The observer's own timing on a loaded machine: a reply this close to the verdict's window edge proves nothing. */
const MARGIN_MS = 150;

/** An outside observer: PINGs every server every 20 ms and remembers when each answered. */
class Observer {
  private readonly replies = new Map<number, number[]>();
  private readonly clients: Redis[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(servers: readonly RedisServer[]) {
    for (const server of servers) {
      const port = server.options.port;
      this.replies.set(port, []);
      const client = new Redis({
        host: '127.0.0.1',
        port,
        commandTimeout: 100,
        connectTimeout: 100,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => 20,
      });
      client.on('error', () => undefined);
      this.clients.push(client);
      this.loops.push(this.loop(client, this.replies.get(port)!));
    }
  }

  /** The last reply from `port` at or before `at`. */
  lastReplyBefore(port: number, at: number): number | null {
    const times = this.replies.get(port) ?? [];
    let last: number | null = null;
    for (const t of times) if (t <= at) last = t;
    return last;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const client of this.clients) client.disconnect();
  }

  private async loop(client: Redis, times: number[]): Promise<void> {
    while (!this.stopped) {
      try {
        if (client.status === 'ready' && (await client.ping()) === 'PONG') times.push(Date.now());
      } catch {
        // no reply: nothing to remember
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

let observer: Observer | undefined;
afterEach(async () => {
  await observer?.stop();
  observer = undefined;
});

/** Verdicts about a server that answered the observer well within down-after before them. */
function falseVerdicts(events: readonly SentinelEvent[], watching: Observer): string[] {
  const wrong: string[] = [];
  for (const event of events) {
    if (event.type !== '+sdown' && event.type !== '+odown') continue;
    const port = event.detail.instance?.port;
    if (port === undefined) continue;
    const at = Date.parse(event.time);
    const last = watching.lastReplyBefore(port, at);
    if (last !== null && last > at - DOWN_AFTER_MS + MARGIN_MS)
      wrong.push(`${event.type} ${event.message} at ${event.time}: it answered ${at - last} ms before`);
  }
  return wrong;
}

describe('consecutive failovers, kill -9 and SIGSTOP in turn', () => {
  it('fail over every time, once each, and never judge down a server that answers', async () => {
    const servers = freshServers();
    const topology = await startTopology(servers, ports, { replicas: [{}, {}] });
    observer = new Observer(topology.all);
    const running = await orchestrate(topology, { downAfterMs: DOWN_AFTER_MS, failoverTimeoutMs: 1500 });
    const byPort = new Map(topology.all.map((s) => [s.options.port, s]));

    let master: RedisServer = topology.master;
    const rounds = ['kill', 'stop', 'kill', 'stop'] as const;
    for (const [i, fault] of rounds.entries()) {
      const epoch = i + 1;
      if (fault === 'kill') await master.kill();
      else master.pause();
      const switched = await waitForEvent(running.events, '+switch-master', (e) => e.detail.epoch === epoch, 30_000);
      const promoted = byPort.get(switched.detail.newMaster!.port)!;
      // The faulted server comes back (empty after the kill) and must be converted into a replica.
      if (fault === 'kill') await master.restart();
      else master.resume();
      await waitFollowing(master, promoted);
      for (const other of topology.all) if (other !== promoted) await waitFollowing(other, promoted);
      master = promoted;
    }

    const switches = running.events.events.filter((e) => e.type === '+switch-master');
    expect(switches.map((e) => e.detail.epoch)).toEqual([1, 2, 3, 4]);
    expect(running.events.events.filter((e) => e.type === '+elected-leader')).toHaveLength(rounds.length);
    expect(falseVerdicts(running.events.events, observer)).toEqual([]);
  }, 120_000);
});
