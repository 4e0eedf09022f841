/**
 * The outside observer's writer: SETs numbered keys one at a time, as fast as the master
 * answers, remembers every acknowledged one, and after the kill moves to the master the
 * system announces.
 */
import { Redis } from 'ioredis';
import type { Address } from '../lambdas/core/types.ts';

export class Writer {
  readonly acked: number[] = [];
  /** First acknowledged write on the new master (ms since the Unix epoch). */
  firstOnNewMasterAt: number | null = null;
  private next = 0;
  private target: Address;
  private stopped = false;
  private switched: Address | null = null;
  private running: Promise<void> | null = null;

  /** `onAck`: told of each acknowledged write as it comes (the partition agent prints it). */
  constructor(
    master: Address,
    private readonly onAck?: (n: number) => void,
  ) {
    this.target = master;
  }

  start(): void {
    this.running = this.loop();
  }

  /** The system announced a new master: write there from now on. */
  follow(address: Address): void {
    this.switched = address;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    let client = connect(this.target);
    while (!this.stopped) {
      if (this.switched && this.target !== this.switched) {
        client.disconnect();
        this.target = this.switched;
        client = connect(this.target);
      }
      if (client.status === 'end') client = connect(this.target);
      if (client.status !== 'ready') {
        await pause(2);
        continue;
      }
      const n = this.next++;
      try {
        await client.set(`bench:${n}`, String(n));
        this.acked.push(n);
        this.onAck?.(n);
        if (this.switched && this.target === this.switched) this.firstOnNewMasterAt ??= Date.now();
      } catch {
        // Not acknowledged, so not counted; a new connection, after a breath: a client being closed
        // rejects without any I/O, and a loop of those would never yield (and fill the heap).
        client.disconnect();
        client = connect(this.target);
        await pause(2);
      }
    }
    client.disconnect();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function connect(address: Address): Redis {
  const client = new Redis({
    host: address.host,
    port: address.port,
    connectTimeout: 200,
    commandTimeout: 200,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    lazyConnect: false,
  });
  client.on('error', () => undefined);
  return client;
}
