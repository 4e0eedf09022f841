/** Client-side load for the data-safety checks (local/writer.ts): what a careful failover must not lose. */
import type { RedisServer } from '../../local/redis-servers.ts';
import { Writer } from '../../local/writer.ts';

export { ackedPresent } from '../../local/writer.ts';

/** Writes w:0, w:1, … to one server (its own client, through any pause) until stopped. */
export function startWriter(server: RedisServer): Writer {
  return new Writer(server.address, { prefix: 'w', connect: () => server.client() }).start();
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
