/** Client-side load for the data-safety checks: what a careful failover must not lose. */
import type { RedisServer } from '../../local/redis-servers.ts';

export interface Writer {
  /** The n of every `w:<n>` the server acknowledged (OK). */
  readonly acked: readonly number[];
  stop(): Promise<void>;
}

/** Writes w:0, w:1, … to one server until stopped; refused writes (paused, then READONLY once demoted) do not count. */
export function startWriter(server: RedisServer): Writer {
  const acked: number[] = [];
  let writing = true;
  const client = server.client();
  client.on('error', () => undefined);
  const loop = (async () => {
    for (let n = 0; writing; n++) {
      try {
        await client.set(`w:${n}`, String(n));
        acked.push(n);
      } catch {
        // Not acknowledged, not counted. A closed client rejects without any I/O: without a pause this
        // loop would be all microtasks, never yield, and grow until the heap is gone.
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
  })();
  return {
    acked,
    async stop() {
      writing = false;
      await loop;
      client.disconnect();
    },
  };
}

/** How many of the writer's acknowledged keys `server` holds. */
export async function ackedPresent(server: RedisServer, writer: Writer): Promise<number> {
  const client = server.client();
  try {
    return await client.exists(writer.acked.map((n) => `w:${n}`));
  } finally {
    client.disconnect();
  }
}

/** Freezes a replica (SIGSTOP) one write behind its master: it cannot catch up until resumed. */
export async function freezeBehind(replica: RedisServer, master: RedisServer): Promise<void> {
  replica.pause();
  const client = master.client();
  try {
    await client.set('late', '1');
  } finally {
    client.disconnect();
  }
}
