import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { followsMaster, parseInfo } from '../lambdas/core/info.ts';
import type { Address, ReplicationInfo } from '../lambdas/core/types.ts';
import { waitFor } from '../lambdas/core/wait.ts';
import { NO_RECONNECT } from '../lambdas/adapters/redis.ts';

/** Options for one `redis-server` started on loopback. */
export interface RedisServerOptions {
  readonly port: number;
  /**
   * The loopback address it binds and announces (any of 127.0.0.0/8): servers of one group on one
   * port at several addresses, as DNS endpoints need them. @default '127.0.0.1'
   */
  readonly host?: string;
  /** Start as a replica of this address. */
  readonly replicaOf?: Address;
  /** `replica-priority` (Redis' default is 100). */
  readonly replicaPriority?: number;
  /** `requirepass` for the default user. */
  readonly password?: string;
  /**
   * Start from a config file, so `CONFIG REWRITE` works as on a real server.
   * @default true
   */
  readonly withConfigFile?: boolean;
  /** Extra `redis.conf` directives, one `[name, value]` each. */
  readonly extra?: ReadonlyArray<readonly [string, string]>;
}

/** A running `redis-server` child process on a loopback address (127.0.0.1 unless told). */
export class RedisServer {
  private exited: Promise<void>;

  constructor(
    public options: RedisServerOptions,
    readonly dir: string,
    private child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get address(): Address {
    return { host: this.options.host ?? '127.0.0.1', port: this.options.port };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** A plain client for tests and the demo (not the failover code path). */
  client(): Redis {
    return new Redis({
      host: this.address.host,
      port: this.options.port,
      password: this.options.password,
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      ...NO_RECONNECT,
    });
  }

  /** Its `INFO`, parsed (throws when it does not answer). */
  async info(): Promise<ReplicationInfo> {
    const client = this.client();
    client.on('error', () => undefined);
    try {
      return parseInfo(String(await client.call('INFO')));
    } finally {
      client.disconnect();
    }
  }

  /** True when it replicates from `master` with its link up; false when not, or when it does not answer. */
  async followsWithLinkUp(master: Address): Promise<boolean> {
    try {
      const info = await this.info();
      return followsMaster(info, master) && info.masterLinkUp;
    } catch {
      return false;
    }
  }

  /**
   * A password rotation on this server: requirepass and masterauth changed at run time, then
   * every client cut off, so each must reconnect with the new password (CONFIG SET alone keeps
   * authenticated connections open).
   */
  async changePassword(password: string): Promise<void> {
    const admin = this.client();
    try {
      await admin.call('CONFIG', 'SET', 'masterauth', password);
      await admin.call('CONFIG', 'SET', 'requirepass', password);
      this.options = { ...this.options, password };
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal'); // SKIPME yes: not this one
    } finally {
      admin.disconnect();
    }
  }

  /** `kill -9`: the crash the failover exists for. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: a hung server that keeps its sockets open. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Starts the same server again, same port and data directory (a reboot). Returns once it
   * answers PONG, or with `loading: true` as soon as it answers at all (-LOADING included).
   */
  async restart(options: { readonly loading?: boolean } = {}): Promise<void> {
    await this.stop();
    this.child = launch(this.options, this.dir);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    await waitUntilReady(this, options.loading ?? false);
  }
}

/** True when `redis-server` can be run from the PATH. */
export function redisServerAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

/** Starts `redis-server` processes and stops every one of them in {@link stopAll}. */
export class RedisServers {
  private readonly servers: RedisServer[] = [];
  private readonly root = mkdtempSync(path.join(tmpdir(), 'redis-failover-'));
  private readonly onExit = () => {
    for (const server of this.servers) if (server.running) processKill(server);
  };

  constructor() {
    process.once('exit', this.onExit);
  }

  async start(options: RedisServerOptions): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(this.root, `${options.port}-`));
    const server = new RedisServer(options, dir, launch(options, dir));
    this.servers.push(server);
    await waitUntilReady(server);
    return server;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
    this.servers.length = 0;
    process.removeListener('exit', this.onExit);
    rmSync(this.root, { recursive: true, force: true });
  }
}

function processKill(server: RedisServer): void {
  if (server.pid !== undefined) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function directives(options: RedisServerOptions, dir: string): Array<[string, string]> {
  const list: Array<[string, string]> = [
    ['port', String(options.port)],
    ['bind', options.host ?? '127.0.0.1'],
    ['dir', dir],
    ['save', '""'],
    ['appendonly', 'no'],
    ['logfile', path.join(dir, 'redis.log')],
    // Replicas attach at once instead of after the 5 s diskless-sync delay.
    ['repl-diskless-sync-delay', '0'],
    ['replica-priority', String(options.replicaPriority ?? 100)],
  ];
  if (options.password) {
    list.push(['requirepass', options.password], ['masterauth', options.password]);
  }
  if (options.replicaOf) list.push(['replicaof', `${options.replicaOf.host} ${options.replicaOf.port}`]);
  // Its connection to the master leaves from 127.0.0.1 whatever it binds: the master would list it there.
  if (options.host) list.push(['replica-announce-ip', options.host]);
  for (const [name, value] of options.extra ?? []) list.push([name, value]);
  return list;
}

function launch(options: RedisServerOptions, dir: string): ChildProcess {
  const list = directives(options, dir);
  let args: string[];
  if (options.withConfigFile ?? true) {
    const file = path.join(dir, 'redis.conf');
    writeFileSync(file, list.map(([name, value]) => `${name} ${value}`).join('\n') + '\n');
    args = [file];
  } else {
    args = list.flatMap(([name, value]) => [`--${name}`, value === '""' ? '' : value]);
  }
  return spawn('redis-server', args, { stdio: 'ignore' });
}

async function waitUntilReady(server: RedisServer, loadingIsReady = false): Promise<void> {
  const client = new Redis({
    host: server.address.host,
    port: server.options.port,
    password: server.options.password,
    lazyConnect: true,
    enableOfflineQueue: false,
    ...NO_RECONNECT,
    maxRetriesPerRequest: 0,
  });
  client.on('error', () => undefined);
  try {
    await waitFor(
      async () => {
        if (!server.running) throw new Error(`redis-server on port ${server.options.port} exited (log: ${server.dir}/redis.log)`);
        try {
          if (client.status !== 'ready') await client.connect();
          return (await client.ping()) === 'PONG';
        } catch (error) {
          if (loadingIsReady && String(error).includes('LOADING')) return true;
          client.disconnect();
          return false;
        }
      },
      { timeoutMs: 10_000, intervalMs: 20, what: `redis-server on port ${server.options.port} to answer PING` },
    );
  } finally {
    client.disconnect();
  }
}
