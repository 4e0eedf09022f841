/** The Sentinel client libraries the benchmark and the tests run (bench/clients.ts), and their names in tables. */
export const CLIENT_LIBRARIES = ['ioredis', 'node-redis-5', 'node-redis-6', 'redis-py'] as const;
export type ClientLibrary = (typeof CLIENT_LIBRARIES)[number];

export const CLIENT_LABELS: Readonly<Record<ClientLibrary, string>> = {
  ioredis: 'ioredis 5',
  'node-redis-5': 'node-redis 5',
  'node-redis-6': 'node-redis 6 (RESP3)',
  'redis-py': 'redis-py',
};
