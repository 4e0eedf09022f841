import { Redis, type RedisOptions } from 'ioredis';
import { parseInfo } from '../core/info.ts';
import type { PingReply } from '../core/detection.ts';
import type { Address, ReplicationInfo } from '../core/types.ts';
import { RedisUnreachableError, RedisAuthError, messageOf } from '../core/errors.ts';
import type { RedisCredentials, RedisLinkOptions } from '../core/interfaces.ts';

/**
 * ioredis options for a client that never reconnects by itself: a lost connection ends it, its
 * commands fail at once, and the caller decides what comes next (the links here, the local tools).
 */
export const NO_RECONNECT = { retryStrategy: (): null => null } as const satisfies RedisOptions;

const AUTH_ERRORS = /^(WRONGPASS|NOAUTH|NOPERM|ERR invalid password|ERR AUTH)/;

/** Replies Sentinel accepts as "alive" (sentinel.c): PONG, or a server busy loading or without its master. */
const ACCEPTABLE_PING_ERRORS = /^(LOADING|MASTERDOWN)\b/;

/** Result of sending a role change: Redis' replies are advisory; INFO is what counts. */
export interface RoleChangeResult {
  /** False when the transaction could not be applied as a whole and REPLICAOF was sent alone. */
  readonly transactional: boolean;
  /** CONFIG REWRITE's error, if any (a server started without a config file refuses it). */
  readonly rewriteError: string | null;
}

/**
 * One connection to one Redis server, with short timeouts and no offline queue:
 * a dead host fails fast instead of hanging a step or a probe.
 */
export class RedisLink {
  /** The credentials this link authenticated with (renewed ones, when the configured ones were refused). */
  credentials: RedisCredentials | undefined;

  private constructor(
    readonly address: Address,
    private readonly client: Redis,
  ) {}

  static async open(address: Address, options: RedisLinkOptions = {}): Promise<RedisLink> {
    const redisOptions: RedisOptions = {
      host: address.host,
      port: address.port,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      // No connectionName: ioredis would wait for CLIENT SETNAME's reply before any command,
      // adding a full timeout on every link to a hung server.
      lazyConnect: true,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      ...NO_RECONNECT,
      ...(options.tls ? { tls: { servername: address.host } } : {}),
    };
    const client = new Redis(redisOptions);
    // Errors surface through the rejected command; an unhandled 'error' event would crash the process.
    // The event carries the cause (ECONNREFUSED, ENOTFOUND…) that connect() reports only as "Connection is closed".
    let cause: unknown = null;
    client.on('error', (error: unknown) => (cause = error));
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new RedisUnreachableError(address, messageOf(cause ?? error));
    }
    const link = new RedisLink(address, client);
    try {
      await link.authenticate(options.credentials);
      // Without a password a server that now wants one says so (NOAUTH) only at the first command,
      // after the renewal below had its chance: when renewal is possible, ask it at once.
      if (options.credentials?.password === undefined && options.renewCredentials) await link.probeAuth();
    } catch (error) {
      const renewed = error instanceof RedisAuthError ? await options.renewCredentials?.().catch(() => undefined) : undefined;
      if (renewed === undefined || sameCredentials(renewed, options.credentials)) {
        await link.close();
        throw error;
      }
      try {
        await link.authenticate(renewed);
      } catch (retryError) {
        await link.close();
        throw retryError;
      }
    }
    return link;
  }

  /** A PING whose only failure that matters here is a refusal: -LOADING and the like are PING's business. */
  private async probeAuth(): Promise<void> {
    await this.command('PING').catch((error: unknown) => {
      if (error instanceof RedisAuthError) throw error;
    });
  }

  /** AUTH sent by hand: ioredis would swallow WRONGPASS into "Connection is closed". */
  private async authenticate(credentials: RedisCredentials | undefined): Promise<void> {
    const { username, password } = credentials ?? {};
    if (password !== undefined) await this.command('AUTH', ...(username ? [username, password] : [password]));
    this.credentials = credentials;
  }

  /**
   * PING, judged as Sentinel does: true for PONG, -LOADING or -MASTERDOWN, false for other replies.
   * A lost connection throws {@link RedisUnreachableError}, so a polling link reconnects.
   */
  async ping(): Promise<boolean> {
    return (await this.pingReply()) !== 'error';
  }

  /** PING's reply as Sentinel tells them apart: -LOADING matters after a master's reboot. */
  async pingReply(): Promise<PingReply> {
    try {
      return (await this.command<string>('PING')) === 'PONG' ? 'pong' : 'error';
    } catch (error) {
      if (error instanceof RedisUnreachableError || error instanceof RedisAuthError) throw error;
      const code = ACCEPTABLE_PING_ERRORS.exec(messageOf(error))?.[1];
      if (code === 'LOADING') return 'loading';
      if (code === 'MASTERDOWN') return 'masterdown';
      return /^BUSY\b/.test(messageOf(error)) ? 'busy' : 'error';
    }
  }

  /** `SCRIPT KILL`, as Sentinel sends it to a -BUSY instance it holds SDOWN; refusals (NOTBUSY, UNKILLABLE) throw. */
  async killScript(): Promise<void> {
    await this.command('SCRIPT', 'KILL');
  }

  /**
   * `min-replicas-max-lag`, then `min-replicas-to-write`: a master with fewer replicas than that
   * within the lag refuses writes. Two CONFIG SETs, as Redis before 7.0 takes one parameter each.
   */
  async fence(minReplicas: number, maxLagSeconds: number): Promise<void> {
    await this.command('CONFIG', 'SET', 'min-replicas-max-lag', String(maxLagSeconds));
    await this.command('CONFIG', 'SET', 'min-replicas-to-write', String(minReplicas));
  }

  /** Plain `INFO` (every Redis and Valkey version answers it), parsed. */
  async info(): Promise<ReplicationInfo> {
    return parseInfo(await this.command<string>('INFO'));
  }

  /** The connection is up (ioredis has not seen it close). */
  get connected(): boolean {
    return this.client.status === 'ready' || this.client.status === 'connect';
  }

  /** `REPLICAOF NO ONE`, sent as Sentinel sends it. */
  promote(): Promise<RoleChangeResult> {
    return this.changeRole(['NO', 'ONE']);
  }

  /** `REPLICAOF <host> <port>`, sent as Sentinel sends it. */
  replicate(master: Address): Promise<RoleChangeResult> {
    return this.changeRole([master.host, String(master.port)]);
  }

  /**
   * `FAILOVER TO <host> <port> TIMEOUT <ms>` (Redis ≥ 6.2): the master pauses writes, waits for
   * the target to catch up, then swaps roles with it; past the timeout it aborts and resumes
   * writes as master. Returns once the request is accepted; INFO tells how it ended.
   */
  async handOver(target: Address, timeoutMs: number): Promise<void> {
    await this.command('FAILOVER', 'TO', target.host, String(target.port), 'TIMEOUT', String(timeoutMs));
  }

  /**
   * CLIENT KILL TYPE normal and pubsub (this link skipped), as Sentinel does after each role
   * change: clients still on a server whose role changed reconnect and find the topology anew.
   * Answers how many were closed; a user whose ACL lacks CLIENT makes it answer 0.
   */
  async dropClients(): Promise<number> {
    let dropped = 0;
    for (const type of ['normal', 'pubsub']) dropped += Number(await this.command('CLIENT', 'KILL', 'TYPE', type).catch(() => 0));
    return dropped;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  /**
   * Sentinel's transaction: the role change, CONFIG REWRITE so it survives a restart, and
   * CLIENT KILL so clients reconnect and find the new topology. CONFIG REWRITE fails on a
   * server started without a config file; inside MULTI that fails only that command.
   */
  private async changeRole(target: string[]): Promise<RoleChangeResult> {
    try {
      const replies = await this.client
        .multi()
        .call('REPLICAOF', ...target)
        .call('CONFIG', 'REWRITE')
        .call('CLIENT', 'KILL', 'TYPE', 'normal')
        .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
        .exec();
      if (replies === null) throw new Error('transaction discarded');
      const [roleReply, rewriteReply] = replies;
      if (roleReply?.[0]) throw roleReply[0];
      return { transactional: true, rewriteError: rewriteReply?.[0] ? messageOf(rewriteReply[0]) : null };
    } catch (error) {
      if (isConnectionError(error)) throw new RedisUnreachableError(this.address, messageOf(error));
      // A user whose ACL lacks CONFIG or CLIENT makes the whole MULTI abort: the role change still matters most.
      await this.command('REPLICAOF', ...target);
      return { transactional: false, rewriteError: messageOf(error) };
    }
  }

  private async command<T>(name: string, ...args: string[]): Promise<T> {
    try {
      return (await this.client.call(name, ...args)) as T;
    } catch (error) {
      if (isConnectionError(error)) throw new RedisUnreachableError(this.address, messageOf(error));
      if (AUTH_ERRORS.test(messageOf(error))) throw new RedisAuthError(this.address, messageOf(error));
      throw error;
    }
  }
}

function sameCredentials(a: RedisCredentials | undefined, b: RedisCredentials | undefined): boolean {
  return a?.username === b?.username && a?.password === b?.password;
}

function isConnectionError(error: unknown): boolean {
  const message = messageOf(error);
  return /Connection is closed|Command timed out|connect ETIMEDOUT|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND|EPIPE|Stream isn't writeable/i.test(message);
}

/**
 * Opens a link, runs `work`, and always closes the link.
 * Connection failures come back as {@link RedisUnreachableError}.
 */
export async function withRedis<T>(address: Address, options: RedisLinkOptions, work: (link: RedisLink) => Promise<T>): Promise<T> {
  const link = await RedisLink.open(address, options);
  try {
    return await work(link);
  } finally {
    await link.close();
  }
}

/** The server's INFO, or null when it could not be had (unreachable, refused, any error): a look that never throws. */
export async function infoOrNull(address: Address, options: RedisLinkOptions): Promise<ReplicationInfo | null> {
  return withRedis(address, options, (link) => link.info()).catch(() => null);
}

/**
 * A link opened on first use and reopened after a failure, for poll loops:
 * `use` answers undefined while the server is unreachable instead of throwing.
 */
export class PollingLink {
  /** One connection at a time: concurrent users (a PING and an INFO) share the one being opened. */
  private link: Promise<RedisLink> | null = null;
  private closed = false;
  /** Why the last attempt found the server unreachable (for a person, e.g. an unresolvable name). */
  lastFailure: string | null = null;
  /** The link once open, to tell at once when its connection is gone. */
  private open: RedisLink | null = null;

  constructor(
    readonly address: Address,
    private options: RedisLinkOptions,
  ) {}

  async use<T>(work: (link: RedisLink) => Promise<T>): Promise<T | undefined> {
    if (this.closed) return undefined;
    const opening = (this.link ??= RedisLink.open(this.address, this.options));
    try {
      const link = await opening;
      this.open = link;
      // Closed while connecting: a late connection must not outlive its owner.
      if (this.closed) {
        await link.close();
        return undefined;
      }
      // Renewed credentials are the ones to reconnect with.
      if (link.credentials !== this.options.credentials) this.options = { ...this.options, credentials: link.credentials };
      const result = await work(link);
      this.lastFailure = null;
      return result;
    } catch (error) {
      // A refused or lost connection is opened again next time (with credentials renewed by then).
      if (error instanceof RedisUnreachableError || error instanceof RedisAuthError) {
        this.lastFailure = error.message;
        if (this.link === opening) await this.drop();
      }
      if (!(error instanceof RedisUnreachableError)) throw error;
      return undefined;
    }
  }

  /**
   * The connection is gone now (closed by the server, refused at the last attempt), without
   * waiting for a command to fail: what Sentinel shows as `disconnected`, which clients such as
   * node-redis read to leave a dead master at once.
   */
  get disconnected(): boolean {
    return this.open ? !this.open.connected : this.lastFailure !== null;
  }

  /** Closes the link for good: later `use` calls answer undefined. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  private async drop(): Promise<void> {
    const opening = this.link;
    this.link = null;
    this.open = null;
    await opening?.then(
      (link) => link.close(),
      () => undefined,
    );
  }
}
