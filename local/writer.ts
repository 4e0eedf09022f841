/**
 * Client-side load for the demo, the benchmark and the tests: numbered keys `<prefix>:<n>`, what a
 * careful failover must not lose, and how many of them a server still holds.
 */
import { Redis } from 'ioredis';
import { NO_RECONNECT } from '../lambdas/adapters/redis.ts';
import type { Address } from '../lambdas/core/types.ts';
import { sleep } from '../lambdas/core/wait.ts';

/** What hands out plain clients to a server (a RedisServer of local/redis-servers.ts). */
interface ClientSource {
  client(): Redis;
}

/**
 * Writes `<prefix>:0` … `<prefix>:<count - 1>` in one pipeline, then WAITs (5 s) for `replicas`
 * replicas; with `requireAck: false` whatever WAIT answers is accepted. Answers how many acknowledged.
 */
export async function writeKeys(
  server: ClientSource,
  count: number,
  replicas: number,
  prefix = 'key',
  options: { readonly requireAck?: boolean } = {},
): Promise<number> {
  const client = server.client();
  try {
    const pipeline = client.pipeline();
    for (let i = 0; i < count; i++) pipeline.set(`${prefix}:${i}`, String(i));
    await pipeline.exec();
    const acked = Number(await client.call('WAIT', String(replicas), '5000'));
    if ((options.requireAck ?? true) && acked < replicas) throw new Error(`WAIT: only ${acked} of ${replicas} replicas acknowledged`);
    return acked;
  } finally {
    client.disconnect();
  }
}

/** How many of `<prefix>:0` … `<prefix>:<count - 1>` `server` holds. */
export async function countKeys(server: ClientSource, count: number, prefix = 'key'): Promise<number> {
  return present(
    server,
    Array.from({ length: count }, (_, i) => `${prefix}:${i}`),
  );
}

export interface WriterOptions {
  /** Keys are `<prefix>:<n>`. */
  readonly prefix: string;
  /** A client for the server at `address`. @default one that fails fast (200 ms timeouts, no queue, no reconnect) */
  readonly connect?: (address: Address) => Redis;
  /** After a failed write (or a closed connection), write through a new connection: the benchmark's outside observer. @default false */
  readonly reconnect?: boolean;
  /** A write counts only once this many replicas have it (WAIT, 100 ms). @default 0 */
  readonly replicas?: number;
  /** Given: a failed write ends the writing (the master is gone), after telling this. */
  readonly stopOnFailure?: (error: unknown) => void;
  /** Told of each acknowledged write as it comes (the partition agent prints it). */
  readonly onAck?: (n: number) => void;
}

/**
 * SETs numbered keys one at a time, as fast as the server answers, and remembers every
 * acknowledged one; refused writes (paused, READONLY once demoted) do not count. `follow` moves
 * it to the master the system announces.
 */
export class Writer {
  readonly acked: number[] = [];
  /** First acknowledged write on the master it was told to follow (ms since the Unix epoch). */
  firstOnNewMasterAt: number | null = null;
  private next = 0;
  private target: Address;
  private stopped = false;
  private switched: Address | null = null;
  private running: Promise<void> | null = null;

  constructor(
    master: Address,
    readonly options: WriterOptions,
  ) {
    this.target = master;
  }

  start(): this {
    this.running = this.loop();
    return this;
  }

  /** The system announced a new master: write there from now on. */
  follow(address: Address): void {
    this.switched = address;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** The keys of the acknowledged writes. */
  ackedKeys(): string[] {
    return this.acked.map((n) => `${this.options.prefix}:${n}`);
  }

  private async loop(): Promise<void> {
    const { reconnect = false, replicas = 0, stopOnFailure } = this.options;
    let client = this.open(this.target);
    while (!this.stopped) {
      if (this.switched && this.target !== this.switched) {
        client.disconnect();
        this.target = this.switched;
        client = this.open(this.target);
      }
      if (reconnect && client.status === 'end') client = this.open(this.target);
      if (reconnect && client.status !== 'ready') {
        await sleep(2);
        continue;
      }
      const n = this.next++;
      try {
        await client.set(`${this.options.prefix}:${n}`, String(n));
        if (replicas > 0 && Number(await client.call('WAIT', String(replicas), '100')) < replicas) continue;
        this.acked.push(n);
        this.options.onAck?.(n);
        if (this.switched && this.target === this.switched) this.firstOnNewMasterAt ??= Date.now();
      } catch (error) {
        if (stopOnFailure) {
          stopOnFailure(error);
          break;
        }
        // Not acknowledged, so not counted; then a breath: a client being closed rejects without any
        // I/O, and a loop of those would never yield (and fill the heap).
        if (reconnect) {
          client.disconnect();
          client = this.open(this.target);
        }
        await sleep(2);
      }
    }
    client.disconnect();
  }

  private open(address: Address): Redis {
    const client = (this.options.connect ?? fastFailing)(address);
    client.on('error', () => undefined);
    return client;
  }
}

/** How many of the writer's acknowledged keys `server` holds. */
export async function ackedPresent(server: ClientSource, writer: Writer): Promise<number> {
  return present(server, writer.ackedKeys());
}

async function present(server: ClientSource, keys: readonly string[]): Promise<number> {
  const client = server.client();
  try {
    let found = 0;
    // EXISTS in batches: a benchmark's writer acknowledges hundreds of thousands.
    for (let i = 0; i < keys.length; i += 1000) found += await client.exists(keys.slice(i, i + 1000));
    return found;
  } finally {
    client.disconnect();
  }
}

function fastFailing(address: Address): Redis {
  return new Redis({
    ...NO_RECONNECT,
    host: address.host,
    port: address.port,
    connectTimeout: 200,
    commandTimeout: 200,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: false,
  });
}
