/**
 * A Node.js application that knows the master only by a DNS name (the primary endpoint), as one
 * moving from ElastiCache configures its client: no Sentinel. Each reconnect resolves the name
 * again through the system resolver (getaddrinfo), so it reaches the new master once the name does.
 *
 *   dns-client.ts <ioredis|node-redis-5|node-redis-6> <host> <port>
 *       SET client:<n> one at a time; prints `ack <n>` per acknowledged write, `fail <error>` (at
 *       most every 100 ms) while requests fail; stops when stdin closes.
 *
 * Reconnects every 100 ms instead of the libraries' growing back-off (ioredis goes up to 2 s),
 * as an application that must follow a failover would set it.
 */
import { writeLoop } from './app-io.ts';

const [library, host, portText] = process.argv.slice(2) as [string, string, string];
const port = Number(portText);

async function client(): Promise<{ set(n: number): Promise<void>; close(): void }> {
  if (library === 'ioredis') {
    const { Redis } = await import('ioredis');
    const redis = new Redis({ host, port, connectTimeout: 200, commandTimeout: 200, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    redis.on('error', () => undefined);
    return { set: async (n) => void (await redis.set(`client:${n}`, String(n))), close: () => redis.disconnect() };
  }
  const { createClient } = (await import(library === 'node-redis-5' ? 'redis5' : 'redis6')) as typeof import('redis6');
  const redis = createClient({ socket: { host, port, connectTimeout: 200, reconnectStrategy: () => 100 }, disableOfflineQueue: true });
  redis.on('error', () => undefined);
  await redis.connect();
  return { set: async (n) => void (await redis.set(`client:${n}`, String(n))), close: () => void redis.destroy() };
}

const app = await client();
await writeLoop((n) => app.set(n));
app.close();
process.exit(0);
