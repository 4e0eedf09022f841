import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { OrchestratorClient } from '../../local/orchestrator-client.ts';
import { isPortFree } from '../../local/ports.ts';
import { RedisServers, redisServerAvailable } from '../../local/redis-servers.ts';
import { parseCommand } from '../../local/resp-parser.ts';
import { encode } from '../../local/resp.ts';
import { masterFields, replicaFields, type InstanceView, type MasterView } from '../../local/sentinel-fields.ts';
import { failoverOptions, globMatches, quorumReply, SentinelPort, type FailoverOptions, type SentinelPortHandlers } from '../../local/sentinel-port.ts';
import type { ReplicationInfo } from '../../lambdas/core/types.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { testPorts } from '../support/ports.ts';
import { RespClient } from '../support/resp-client.ts';
import { NO_RECONNECT } from '../../lambdas/adapters/redis.ts';

/** A master as a voter sees it, healthy unless told otherwise. */
function masterView(name: string, port: number, over: Partial<MasterView> = {}): MasterView {
  return {
    address: { host: '127.0.0.1', port },
    watch: null,
    info: null,
    infoAt: null,
    disconnected: false,
    name,
    epoch: 0,
    quorum: 2,
    downAfterMs: 1000,
    failoverTimeoutMs: 10_000,
    parallelSyncs: 1,
    replicas: 0,
    odownSince: null,
    failoverState: null,
    ...over,
  };
}

/** Everything a test opened, closed after it in reverse order (clients before the port). */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function handlers(overrides: Partial<SentinelPortHandlers> = {}): SentinelPortHandlers {
  return {
    failover: () => Promise.resolve({ ok: true }),
    masterAddress: (name) => Promise.resolve(name === 'mymaster' ? { host: '127.0.0.1', port: 6380 } : null),
    masters: () => ['mymaster', 'other'],
    master: (name) => Promise.resolve(name === 'mymaster' ? masterView('mymaster', 6380) : null),
    replicas: (name) => Promise.resolve(name === 'mymaster' ? [] : null),
    quorum: (name) => (name === 'mymaster' ? { voters: 3, quorum: 2 } : null),
    operator: (request) => Promise.resolve({ ok: true, json: { asked: request } }),
    ...overrides,
  };
}

async function listen(overrides: Partial<SentinelPortHandlers> = {}): Promise<SentinelPort> {
  const sentinel = await SentinelPort.listen({ port: 0, handlers: handlers(overrides) });
  cleanups.push(() => sentinel.close());
  return sentinel;
}

async function ioredis(sentinel: SentinelPort, enableReadyCheck = true): Promise<Redis> {
  const redis = new Redis({
    host: '127.0.0.1',
    port: sentinel.port,
    lazyConnect: true,
    enableReadyCheck,
    maxRetriesPerRequest: 0,
    ...NO_RECONNECT,
  });
  redis.on('error', () => undefined);
  cleanups.push(() => redis.disconnect());
  await redis.connect(); // ioredis' ready check sends INFO: by default this already exercises it
  return redis;
}

/** A promise the test settles by hand, to hold a handler in flight. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** A bare TCP client: what `nc` does, byte for byte. */
class RawClient {
  private received = '';
  private consumed = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
      this.wake?.();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.removeListener('error', reject);
        socket.on('error', () => undefined);
        const client = new RawClient(socket);
        cleanups.push(() => {
          client.socket.destroy();
        });
        resolve(client);
      });
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  /** Half-closes our side, as `nc -N` does after its input. */
  end(): void {
    this.socket.end();
  }

  /** The next `length` characters received, waiting for them (fewer when the server closes first). */
  async next(length: number): Promise<string> {
    while (this.received.length < this.consumed + length && !this.ended) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const text = this.received.slice(this.consumed, this.consumed + length);
    this.consumed += text.length;
    return text;
  }

  async expectReply(expected: string): Promise<void> {
    expect(await this.next(expected.length)).toBe(expected);
  }

  /** Whatever arrives until the server closes the connection. */
  async untilClosed(): Promise<string> {
    await this.closed;
    return this.received.slice(this.consumed);
  }
}

describe('parseCommand', () => {
  it('reads multibulk and inline commands, one after another in one buffer', () => {
    const buffer = Buffer.from('*2\r\n$4\r\nINFO\r\n$0\r\n\r\nsentinel  failover\tmymaster\r\nPING\n\r\n*0\r\n');
    const first = parseCommand(buffer, 0);
    expect(first).toEqual({ kind: 'command', args: ['INFO', ''], next: 20 });
    const second = parseCommand(buffer, 20);
    expect(second).toMatchObject({ kind: 'command', args: ['sentinel', 'failover', 'mymaster'] });
    const third = parseCommand(buffer, second.kind === 'command' ? second.next : -1);
    expect(third).toMatchObject({ kind: 'command', args: ['PING'] });
    const blank = parseCommand(buffer, third.kind === 'command' ? third.next : -1);
    expect(blank).toMatchObject({ kind: 'command', args: [] });
    const empty = parseCommand(buffer, blank.kind === 'command' ? blank.next : -1);
    expect(empty).toEqual({ kind: 'command', args: [], next: buffer.length });
    expect(parseCommand(buffer, buffer.length)).toEqual({ kind: 'incomplete' });
  });

  it('asks for more bytes on every strict prefix of a command, and counts bulk lengths in bytes', () => {
    const command = Buffer.from('*3\r\n$8\r\nSENTINEL\r\n$8\r\nFAILOVER\r\n$7\r\nmaître\r\n');
    for (let length = 1; length < command.length; length++) {
      expect(parseCommand(command.subarray(0, length), 0)).toEqual({ kind: 'incomplete' });
    }
    expect(parseCommand(command, 0)).toEqual({
      kind: 'command',
      args: ['SENTINEL', 'FAILOVER', 'maître'],
      next: command.length,
    });
    expect(parseCommand(Buffer.from('PING'), 0)).toEqual({ kind: 'incomplete' });
  });

  it.each([
    ['*x\r\n', 'invalid multibulk length'],
    ['*99999\r\n', 'invalid multibulk length'],
    ['*1\r\n:5\r\n', "expected '$', got ':'"],
    ['*1\r\n$-3\r\n', 'invalid bulk length'],
    ['*1\r\n$abc\r\n', 'invalid bulk length'],
    ['*1\r\n$2000000\r\n', 'command larger than 1 MB'],
    ['*2\r\n$4\r\nPING\r\n$1048576\r\n', 'command larger than 1 MB'],
    ['*1\r\n$1\r\nab\r\n', 'bulk string not followed by CRLF'],
    [`*1\r\n$${'9'.repeat(40)}`, 'invalid bulk length'],
    [`*${'1'.repeat(40)}`, 'invalid multibulk length'],
    ['A'.repeat(64 * 1024 + 1), 'too big inline request'],
  ])('refuses %#: %s', (input, message) => {
    expect(parseCommand(Buffer.from(input), 0)).toEqual({ kind: 'error', message });
  });
});

describe('SentinelPort through ioredis', () => {
  it('answers PING and INFO, and reports the bound port when 0 was asked', async () => {
    const sentinel = await listen();
    expect(sentinel.port).toBeGreaterThan(0);
    const redis = await ioredis(sentinel);
    expect(await redis.ping()).toBe('PONG');
    expect(await redis.call('ping', 'hello')).toBe('hello');
    const server = await redis.info('server');
    expect(server).toMatch(/^# Server\r\nredis_version:7\.0\.0\r\nredis_mode:sentinel\r\nredis_failover:1\r\n/);
    expect(server).toContain(`\r\ntcp_port:${sentinel.port}\r\n`);
    expect(server).not.toContain('# Sentinel');
    const sentinelSection = await redis.info('sentinel');
    expect(sentinelSection).toMatch(/^# Sentinel\r\nsentinel_masters:2\r\n/);
    expect(sentinelSection).toContain('\r\nmaster0:name=mymaster,status=ok,address=127.0.0.1:6380,slaves=0,sentinels=1\r\n');
  });

  it('passes SENTINEL FAILOVER to the handler and maps its refusals onto Sentinel error codes', async () => {
    const asked: string[] = [];
    const answers = [
      { ok: true } as const,
      { ok: false, code: 'INPROG', message: 'a failover is already in progress' } as const,
      { ok: false, code: 'NOGOODSLAVE', message: 'no suitable replica\r\nto promote' } as const,
      { ok: false, code: 'ERR', message: 'No such master with that name' } as const,
    ];
    const sentinel = await listen({
      failover: (name) => {
        asked.push(name);
        return Promise.resolve(answers[asked.length - 1] ?? { ok: true });
      },
    });
    const redis = await ioredis(sentinel);
    expect(await redis.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
    await expect(redis.call('sentinel', 'failover', 'mymaster')).rejects.toMatchObject({
      message: 'INPROG a failover is already in progress',
    });
    await expect(redis.call('Sentinel', 'Failover', 'mymaster')).rejects.toMatchObject({
      message: 'NOGOODSLAVE no suitable replica to promote',
    });
    await expect(redis.call('SENTINEL', 'FAILOVER', 'nope')).rejects.toMatchObject({
      message: 'ERR No such master with that name',
    });
    expect(asked).toEqual(['mymaster', 'mymaster', 'mymaster', 'nope']);
  });

  it('answers GET-MASTER-ADDR-BY-NAME, SENTINELS and REPLICAS, and the commands clients send on connect', async () => {
    const redis = await ioredis(await listen());
    expect(await redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual(['127.0.0.1', '6380']);
    expect(await redis.call('sentinel', 'get-master-addr-by-name', 'unknown')).toBeNull();
    expect(await redis.call('SENTINEL', 'SENTINELS', 'mymaster')).toEqual([]);
    await expect(redis.call('SENTINEL', 'SENTINELS', 'nope')).rejects.toThrow('ERR No such master with that name');
    expect(await redis.call('SENTINEL', 'REPLICAS', 'mymaster')).toEqual([]);
    expect(await redis.call('SENTINEL', 'SLAVES', 'mymaster')).toEqual([]);
    expect(await redis.call('CLIENT', 'SETNAME', 'tool')).toBe('OK');
    expect(await redis.call('CLIENT', 'GETNAME')).toBe('tool');
    expect(await redis.call('CLIENT', 'SETINFO', 'LIB-NAME', 'ioredis')).toBe('OK');
    expect(typeof (await redis.call('CLIENT', 'ID'))).toBe('number');
    expect(await redis.call('ROLE')).toEqual(['sentinel', ['mymaster', 'other']]);
    expect(await redis.call('COMMAND', 'COUNT')).toBeGreaterThan(5);
    expect(String(await redis.call('SENTINEL', 'MYID'))).toMatch(/^[0-9a-f]{40}$/);
    // As Sentinel: a Sentinel has no databases to select.
    await expect(redis.call('SELECT', '0')).rejects.toMatchObject({
      message: expect.stringMatching(/^ERR unknown command 'SELECT', with args beginning with: '0'/),
    });
    await expect(redis.call('HELLO', '4')).rejects.toMatchObject({ message: 'NOPROTO unsupported protocol version' });
    expect(await redis.call('HELLO', '2')).toEqual([
      'server',
      'redis',
      'version',
      '7.0.0',
      'proto',
      2,
      'id',
      expect.any(Number),
      'mode',
      'sentinel',
      'modules',
      [],
    ]);
  });

  it('refuses unknown commands and wrong arities as Sentinel does', async () => {
    const redis = await ioredis(await listen());
    await expect(redis.call('GET', 'key')).rejects.toMatchObject({ message: "ERR unknown command 'GET', with args beginning with: 'key' " });
    await expect(redis.call('SENTINEL', 'bogus')).rejects.toMatchObject({ message: "ERR unknown subcommand 'bogus'. Try SENTINEL HELP." });
    await expect(redis.call('CLIENT', 'bogus')).rejects.toMatchObject({ message: "ERR unknown subcommand 'bogus'. Try CLIENT HELP." });
    await expect(redis.call('SENTINEL', 'MASTERS', 'mymaster')).rejects.toMatchObject({
      message: "ERR wrong number of arguments for 'sentinel|masters' command",
    });
    await expect(redis.call('SENTINEL', 'replicas')).rejects.toMatchObject({
      message: "ERR wrong number of arguments for 'sentinel|replicas' command",
    });
    await expect(redis.call('SENTINEL', 'FAILOVER')).rejects.toMatchObject({
      message: "ERR wrong number of arguments for 'sentinel|failover' command",
    });
    await expect(redis.call('SENTINEL', 'get-master-addr-by-name', 'a', 'b')).rejects.toMatchObject({
      message: "ERR wrong number of arguments for 'sentinel|get-master-addr-by-name' command",
    });
    await expect(redis.call('SENTINEL')).rejects.toMatchObject({
      message: "ERR wrong number of arguments for 'sentinel' command",
    });
  });

  it('turns a handler that throws or rejects into -ERR for that command only', async () => {
    const redis = await ioredis(
      await listen({
        failover: () => {
          throw new Error('store unreachable\nretry later');
        },
        masterAddress: () => Promise.reject(new Error('timed out')),
        masters: () => {
          throw new Error('not loaded');
        },
      }),
      false, // the ready check's INFO would fail: that is the point of this test
    );
    await expect(redis.call('SENTINEL', 'FAILOVER', 'mymaster')).rejects.toMatchObject({
      message: 'ERR store unreachable retry later',
    });
    await expect(redis.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).rejects.toMatchObject({
      message: 'ERR timed out',
    });
    await expect(redis.call('INFO')).rejects.toMatchObject({ message: 'ERR not loaded' });
    expect(await redis.ping()).toBe('PONG');
  });

  it('lets an ioredis client in Sentinel mode give up on a master it does not know', async () => {
    const sentinel = await listen();
    const redis = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: 'unknown',
      lazyConnect: true,
      sentinelRetryStrategy: () => null,
      ...NO_RECONNECT,
    });
    redis.on('error', () => undefined);
    cleanups.push(() => redis.disconnect());
    await expect(redis.connect()).rejects.toThrow(/All sentinels are unreachable/);
  });
});

describe('SentinelPort over a raw socket', () => {
  it('answers inline commands, pipelined in one packet, ignoring blank lines', async () => {
    const client = await RawClient.connect((await listen()).port);
    await client.send('PING\r\nsentinel get-master-addr-by-name mymaster\r\n\r\nSENTINEL FAILOVER mymaster\nnope\r\n');
    await client.expectReply('+PONG\r\n');
    await client.expectReply('*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n');
    await client.expectReply('+OK\r\n');
    await client.expectReply("-ERR unknown command 'nope', with args beginning with: \r\n");
  });

  it('reassembles commands split across packets, byte by byte', async () => {
    const client = await RawClient.connect((await listen()).port);
    const pipeline = '*1\r\n$4\r\nPING\r\n*3\r\n$8\r\nSENTINEL\r\n$23\r\nGET-MASTER-ADDR-BY-NAME\r\n$7\r\nunknown\r\nPING\r\n';
    for (const byte of Buffer.from(pipeline)) await client.send(Buffer.from([byte]));
    await client.expectReply('+PONG\r\n*-1\r\n+PONG\r\n');
  });

  it('replies in request order while an earlier handler is still running', async () => {
    const release = deferred<void>();
    const called = deferred<void>();
    const client = await RawClient.connect(
      (
        await listen({
          failover: async () => {
            called.resolve();
            await release.promise;
            return { ok: false, code: 'INPROG', message: 'busy' };
          },
        })
      ).port,
    );
    await client.send('SENTINEL FAILOVER mymaster\r\nPING\r\nSENTINEL GET-MASTER-ADDR-BY-NAME other\r\n');
    await called.promise;
    release.resolve();
    await client.expectReply('-INPROG busy\r\n+PONG\r\n*-1\r\n');
  });

  it('answers the commands before a protocol error, then the error, then closes', async () => {
    const client = await RawClient.connect((await listen()).port);
    await client.send('PING\r\n*1\r\n:5\r\nPING\r\n');
    expect(await client.untilClosed()).toBe("+PONG\r\n-ERR Protocol error: expected '$', got ':'\r\n");
  });

  it('refuses a bulk longer than 1 MB without waiting for its bytes', async () => {
    const sentinel = await listen();
    const client = await RawClient.connect(sentinel.port);
    await client.send('*2\r\n$4\r\nPING\r\n$5000000\r\nxxxx');
    expect(await client.untilClosed()).toBe('-ERR Protocol error: command larger than 1 MB\r\n');
    // Only that connection went: the port still answers.
    const other = await RawClient.connect(sentinel.port);
    await other.send('PING\r\n');
    await other.expectReply('+PONG\r\n');
  });

  it('closes after QUIT, ignoring what follows it', async () => {
    const client = await RawClient.connect((await listen()).port);
    await client.send('PING\r\nQUIT\r\nPING\r\n');
    expect(await client.untilClosed()).toBe('+PONG\r\n+OK\r\n');
  });

  it('still replies to a client that half-closes after sending (nc -N)', async () => {
    const client = await RawClient.connect((await listen()).port);
    await client.send('SENTINEL FAILOVER mymaster\r\n');
    client.end();
    expect(await client.untilClosed()).toBe('+OK\r\n');
  });
});

describe('SENTINEL MASTER', () => {
  it("answers the handler's fields as Sentinel's flat field/value list, and an error for an unknown master", async () => {
    const redis = await ioredis(await listen());
    expect(await redis.call('SENTINEL', 'MASTER', 'mymaster')).toEqual(masterFields(masterView('mymaster', 6380), Date.now()).flat());
    await expect(redis.call('SENTINEL', 'MASTER', 'nope')).rejects.toThrow('ERR No such master with that name');
  });
});

/** A replica of 127.0.0.1:6380 on `port` as a voter sees it: `info` null when it never answered. */
function seen(port: number, info: Partial<ReplicationInfo> | null): InstanceView {
  const address = { host: '127.0.0.1', port };
  if (info === null) return { address, watch: null, info: null, infoAt: null, disconnected: true };
  const full: ReplicationInfo = {
    role: 'slave',
    runId: `run-${port}`,
    replicaPriority: 100,
    replOffset: 0,
    masterHost: '127.0.0.1',
    masterPort: 6380,
    masterLinkUp: true,
    masterLinkDownSinceSeconds: null,
    masterLastIoSeconds: 0,
    connectedReplicas: [],
    loading: false,
    minReplicasGood: null,
    failoverState: null,
    ...info,
  };
  return { address, watch: null, info: full, infoAt: Date.now(), disconnected: false };
}

describe('SENTINEL REPLICAS and SLAVES', () => {
  it('answers one flat field list per observed replica, under both names, and an error for an unknown master', async () => {
    const asked: string[] = [];
    const redis = await ioredis(
      await listen({
        replicas: (name) => {
          asked.push(name);
          return Promise.resolve(name === 'mymaster' ? [seen(6381, { replOffset: 7 }), seen(6382, null)] : null);
        },
      }),
    );
    const replicas = (await redis.call('SENTINEL', 'REPLICAS', 'mymaster')) as string[][];
    expect(replicas).toHaveLength(2);
    expect(replicas[0]?.filter((_, i) => i % 2 === 0)).toEqual(replicaFields(seen(6381, { replOffset: 7 }), 1000, Date.now()).map(([field]) => field));
    expect(replicas[0]?.slice(0, 10)).toEqual(['name', '127.0.0.1:6381', 'ip', '127.0.0.1', 'port', '6381', 'runid', 'run-6381', 'flags', 'slave']);
    expect(replicas[1]?.slice(0, 10)).toEqual(['name', '127.0.0.1:6382', 'ip', '127.0.0.1', 'port', '6382', 'runid', '', 'flags', 'slave,disconnected']);
    // Times are milliseconds ago, taken when each answer is written: compare them by name only.
    const untimed = (lists: string[][]) => lists.map((list) => list.map((value, i) => (i % 2 === 1 && list[i - 1] === 'info-refresh' ? '*' : value)));
    expect(untimed((await redis.call('sentinel', 'slaves', 'mymaster')) as string[][])).toEqual(untimed(replicas));
    await expect(redis.call('SENTINEL', 'REPLICAS', 'nope')).rejects.toThrow('ERR No such master with that name');
    await expect(redis.call('SENTINEL', 'SLAVES', 'nope')).rejects.toThrow('ERR No such master with that name');
    expect(asked).toEqual(['mymaster', 'mymaster', 'nope', 'nope']);
  });
});

describe('SENTINEL MASTERS', () => {
  it("answers SENTINEL MASTER's list for each monitored master, in config order, leaving out one not in the table", async () => {
    const redis = await ioredis(
      await listen({
        masters: () => ['b', 'a', 'absent'],
        master: (name) => Promise.resolve(name === 'a' ? masterView('a', 6380) : name === 'b' ? masterView('b', 7380) : null),
      }),
    );
    const masters = (await redis.call('SENTINEL', 'MASTERS')) as string[][];
    expect(masters.map((fields) => fields.slice(0, 6))).toEqual([
      ['name', 'b', 'ip', '127.0.0.1', 'port', '7380'],
      ['name', 'a', 'ip', '127.0.0.1', 'port', '6380'],
    ]);
  });

  it('answers an empty array when no master is monitored', async () => {
    const client = await RawClient.connect((await listen({ masters: () => [] })).port);
    await client.send('SENTINEL masters\r\n');
    await client.expectReply('*0\r\n');
  });
});

describe('SENTINEL CKQUORUM', () => {
  it("says whether the voters reach the quorum, in the shape of Sentinel's answer", () => {
    expect(encode(quorumReply({ voters: 3, quorum: 2 }), 2)).toBe('+OK 3 usable voters. Quorum 2 and the failover lease can be reached\r\n');
    expect(encode(quorumReply({ voters: 2, quorum: 2 }), 2)).toBe('+OK 2 usable voters. Quorum 2 and the failover lease can be reached\r\n');
    expect(encode(quorumReply({ voters: 1, quorum: 2 }), 2)).toBe('-NOQUORUM 1 usable voters, quorum is 2\r\n');
  });

  it('answers through the port, and an error for an unknown master', async () => {
    const redis = await ioredis(
      await listen({ quorum: (name) => (name === 'mymaster' ? { voters: 3, quorum: 2 } : name === 'thin' ? { voters: 1, quorum: 2 } : null) }),
    );
    expect(await redis.call('SENTINEL', 'CKQUORUM', 'mymaster')).toBe('OK 3 usable voters. Quorum 2 and the failover lease can be reached');
    await expect(redis.call('sentinel', 'ckquorum', 'thin')).rejects.toThrow(/^NOQUORUM 1 usable voters, quorum is 2$/);
    await expect(redis.call('SENTINEL', 'CKQUORUM', 'nope')).rejects.toThrow(/^ERR No such master with that name$/);
    await expect(redis.call('SENTINEL', 'CKQUORUM')).rejects.toThrow("ERR wrong number of arguments for 'sentinel|ckquorum' command");
  });
});

describe('SENTINEL FAILOVER <name> [COORDINATED]', () => {
  it('reads the optional token, in any case, and nothing else', () => {
    expect(failoverOptions(undefined)).toEqual({ coordinated: false });
    expect(failoverOptions('COORDINATED')).toEqual({ coordinated: true });
    expect(failoverOptions('coordinated')).toEqual({ coordinated: true });
    expect(failoverOptions('Coordinated')).toEqual({ coordinated: true });
    expect(failoverOptions('force')).toBeNull();
    expect(failoverOptions('')).toBeNull();
    expect(failoverOptions('COORDINATED ')).toBeNull();
  });

  it('passes the option to the handler; refuses another token or a fourth argument without asking it', async () => {
    const asked: Array<[string, FailoverOptions]> = [];
    const redis = await ioredis(
      await listen({
        failover: (name, options) => {
          asked.push([name, options]);
          return Promise.resolve({ ok: true });
        },
      }),
    );
    expect(await redis.call('SENTINEL', 'FAILOVER', 'mymaster')).toBe('OK');
    expect(await redis.call('SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED')).toBe('OK');
    expect(await redis.call('sentinel', 'failover', 'mymaster', 'coordinated')).toBe('OK');
    await expect(redis.call('SENTINEL', 'FAILOVER', 'mymaster', 'FORCE')).rejects.toThrow(/^ERR syntax error$/);
    await expect(redis.call('SENTINEL', 'FAILOVER', 'mymaster', 'COORDINATED', 'now')).rejects.toThrow(
      "ERR wrong number of arguments for 'sentinel|failover' command",
    );
    expect(asked).toEqual([
      ['mymaster', { coordinated: false }],
      ['mymaster', { coordinated: true }],
      ['mymaster', { coordinated: true }],
    ]);
  });

  it('answers a handover given up as -ABORTED, and a handler that throws as -ERR, each in one line', async () => {
    let calls = 0;
    const client = await RawClient.connect(
      (
        await listen({
          failover: () =>
            ++calls === 1
              ? Promise.resolve({
                  ok: false,
                  code: 'ABORTED',
                  message: 'mymaster: coordinated failover to 127.0.0.1:6381 aborted (aborted);\r\n127.0.0.1:6380 is still the master',
                })
              : Promise.reject(new Error('coordinated failover did not end within 10 s;\ncheck the role of 127.0.0.1:6380')),
        })
      ).port,
    );
    await client.send('SENTINEL FAILOVER mymaster COORDINATED\r\nSENTINEL FAILOVER mymaster COORDINATED\r\nPING\r\n');
    await client.expectReply('-ABORTED mymaster: coordinated failover to 127.0.0.1:6381 aborted (aborted); 127.0.0.1:6380 is still the master\r\n');
    await client.expectReply('-ERR coordinated failover did not end within 10 s; check the role of 127.0.0.1:6380\r\n+PONG\r\n');
  });
});

describe("Sentinel's configuration commands", () => {
  it.each(['SET', 'reset', 'MONITOR', 'Remove', 'CONFIG', 'FLUSHCONFIG'])(
    'refuses SENTINEL %s in one line, saying the config file is the configuration',
    async (subcommand) => {
      const client = await RawClient.connect((await listen()).port);
      await client.send(`SENTINEL ${subcommand} mymaster down-after-milliseconds 1000\r\nPING\r\n`);
      await client.expectReply(
        `-ERR SENTINEL ${subcommand.toUpperCase()} is not supported: the config file is the configuration; edit it and restart redis-failover local\r\n+PONG\r\n`,
      );
    },
  );
});

describe("SentinelPort pub/sub (Sentinel's event channels)", () => {
  it('delivers each event to SUBSCRIBE clients of its channel and PSUBSCRIBE clients of a matching pattern, until they unsubscribe', async () => {
    const sentinel = await listen();
    const exact = await ioredis(sentinel, false);
    const every = await ioredis(sentinel, false);
    const received: string[] = [];
    exact.on('message', (channel: string, message: string) => received.push(`exact ${channel} ${message}`));
    every.on('pmessage', (pattern: string, channel: string, message: string) => received.push(`${pattern} ${channel} ${message}`));
    expect(await exact.subscribe('+switch-master', '+odown')).toBe(2);
    expect(await every.psubscribe('*')).toBe(1);

    sentinel.publish('+sdown', 'master mymaster 127.0.0.1 6379');
    sentinel.publish('+switch-master', 'mymaster 127.0.0.1 6379 127.0.0.1 6380');
    await waitFor(() => received.length === 3, { timeoutMs: 2000, what: 'three deliveries' });
    expect(received.sort()).toEqual([
      '* +sdown master mymaster 127.0.0.1 6379',
      '* +switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380',
      'exact +switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380',
    ]);

    expect(await exact.unsubscribe('+switch-master')).toBe(1);
    sentinel.publish('+switch-master', 'after');
    sentinel.publish('+odown', 'master mymaster 127.0.0.1 6379 #quorum 2/2');
    await waitFor(() => received.some((r) => r.startsWith('exact +odown')), { timeoutMs: 2000, what: 'the +odown delivery' });
    expect(received.filter((r) => r.startsWith('exact +switch-master'))).toHaveLength(1);
  });

  it('matches channels with Redis glob patterns', () => {
    expect(globMatches('*', '+switch-master')).toBe(true);
    expect(globMatches('+sw*', '+switch-master')).toBe(true);
    expect(globMatches('?sdown', '-sdown')).toBe(true);
    expect(globMatches('[+-]odown', '-odown')).toBe(true);
    expect(globMatches('[^+]odown', '+odown')).toBe(false);
    expect(globMatches('+failover-*', '+switch-master')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
  });

  it('refuses SUBSCRIBE without a channel', async () => {
    const client = await RawClient.connect((await listen()).port);
    await client.send('SUBSCRIBE\r\n');
    await client.expectReply("-ERR wrong number of arguments for 'subscribe' command\r\n");
  });
});

describe('SentinelPort lifecycle', () => {
  it('close() destroys open connections, even with a handler in flight, and frees the port', async () => {
    const called = deferred<void>();
    const sentinel = await SentinelPort.listen({
      port: 0,
      handlers: handlers({
        failover: () => {
          called.resolve();
          return new Promise(() => undefined); // never answers
        },
      }),
    });
    const idle = await RawClient.connect(sentinel.port);
    const busy = await RawClient.connect(sentinel.port);
    await busy.send('SENTINEL FAILOVER mymaster\r\n');
    await called.promise;

    await sentinel.close();
    await Promise.all([idle.closed, busy.closed]);
    expect(await isPortFree(sentinel.port)).toBe(true);
    await sentinel.close(); // twice: harmless
  });

  it('rejects listen() on a port already taken', async () => {
    const first = await listen();
    await expect(SentinelPort.listen({ port: first.port, handlers: handlers() })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

describe.skipIf(!redisServerAvailable())('SentinelPort as the sentinel of an ioredis client', () => {
  it('leads ioredis in Sentinel mode to the master the handler names', async () => {
    const servers = new RedisServers();
    cleanups.push(() => servers.stopAll());
    const master = await servers.start({ port: await testPorts().take() });
    const asked: string[] = [];
    const sentinel = await listen({
      masterAddress: (name) => {
        asked.push(name);
        return Promise.resolve(name === 'mymaster' ? master.address : null);
      },
    });

    const redis = new Redis({
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      name: 'mymaster',
      lazyConnect: true,
      sentinelRetryStrategy: () => null,
      ...NO_RECONNECT,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', () => undefined);
    cleanups.push(() => redis.disconnect());
    await redis.connect();
    expect(await redis.set('through-sentinel', 'yes')).toBe('OK');
    expect(await redis.get('through-sentinel')).toBe('yes');
    expect(asked).toEqual(['mymaster']);

    // The write landed on that redis-server, not somewhere else.
    const direct = master.client();
    cleanups.push(() => direct.disconnect());
    expect(await direct.get('through-sentinel')).toBe('yes');
  });
});

describe('the protocol beyond ioredis: RESP3, AUTH, CLIENT, RESET, Valkey names', () => {
  async function client(port: number): Promise<RespClient> {
    const c = await RespClient.connect(port);
    cleanups.push(() => c.close());
    return c;
  }

  it('delivers events as RESP3 pushes after HELLO 3, and as arrays to a RESP2 subscriber', async () => {
    const sentinel = await listen();
    const [three, two] = [await client(sentinel.port), await client(sentinel.port)];
    expect(await three.one('HELLO', '3', 'SETNAME', 'app')).toMatchObject({ type: 'map' });
    expect(await three.one('CLIENT', 'GETNAME')).toEqual({ type: 'bulk', text: 'app' });
    expect(await three.one('SUBSCRIBE', '+switch-master')).toMatchObject({ type: 'push' });
    expect(await two.one('PSUBSCRIBE', '+*')).toMatchObject({ type: 'array' });
    sentinel.publish('+switch-master', 'mymaster 127.0.0.1 6380 127.0.0.1 6381');
    const message = [
      { type: 'bulk', text: '+switch-master' },
      { type: 'bulk', text: 'mymaster 127.0.0.1 6380 127.0.0.1 6381' },
    ];
    expect(await three.read()).toEqual({ type: 'push', items: [{ type: 'bulk', text: 'message' }, ...message] });
    expect(await two.read()).toEqual({ type: 'array', items: [{ type: 'bulk', text: 'pmessage' }, { type: 'bulk', text: '+*' }, ...message] });
  });

  it('with a password of its own, answers nothing but AUTH, HELLO and QUIT before it is given', async () => {
    const sentinel = await SentinelPort.listen({ port: 0, handlers: handlers(), password: 's3cret' });
    cleanups.push(() => sentinel.close());
    const c = await client(sentinel.port);
    expect(await c.one('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual({ type: 'error', text: 'NOAUTH Authentication required.' });
    expect(await c.one('SUBSCRIBE', '+sdown')).toEqual({ type: 'error', text: 'NOAUTH Authentication required.' });
    expect(await c.one('AUTH', 'wrong')).toEqual({ type: 'error', text: 'WRONGPASS invalid username-password pair or user is disabled.' });
    expect(await c.one('HELLO', '3', 'AUTH', 'default', 'wrong')).toMatchObject({ type: 'error', text: expect.stringMatching(/^WRONGPASS/) });
    expect(await c.one('HELLO', '3', 'AUTH', 'default', 's3cret')).toMatchObject({ type: 'map' });
    expect(await c.one('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toMatchObject({ type: 'array' });
    const other = await client(sentinel.port);
    expect(await other.one('AUTH', 's3cret')).toEqual({ type: 'simple', text: 'OK' });
    expect(await other.one('RESET')).toEqual({ type: 'simple', text: 'RESET' });
    expect(await other.one('PING')).toEqual({ type: 'error', text: 'NOAUTH Authentication required.' });
  });

  it('lets `redis-failover failover` find a password-protected orchestrator only with the password, and says so without it', async () => {
    const sentinel = await SentinelPort.listen({ port: 0, handlers: { ...handlers(), masters: () => ['mymaster'] }, password: 's3cret' });
    cleanups.push(() => sentinel.close());
    await expect(OrchestratorClient.find(sentinel.port)).rejects.toThrow(
      `something answers on 127.0.0.1:${sentinel.port} and wants a password: give it with --password-env <VAR>`,
    );
    await expect(OrchestratorClient.find(sentinel.port, 'wrong')).rejects.toThrow('refused the password');
    const found = await OrchestratorClient.find(sentinel.port, 's3cret');
    cleanups.push(() => found?.close());
    expect(await found?.masterAddress('mymaster')).toEqual({ host: '127.0.0.1', port: 6380 });
  });

  it('CLIENT KILL closes the connections it names, and says how many', async () => {
    const sentinel = await listen();
    const [admin, subscriber, plain] = [await client(sentinel.port), await client(sentinel.port), await client(sentinel.port)];
    await subscriber.one('SUBSCRIBE', '+switch-master');
    const plainId = await plain.one('CLIENT', 'ID');
    expect(await admin.one('CLIENT', 'KILL', 'TYPE', 'pubsub')).toEqual({ type: 'integer', value: 1 });
    await subscriber.closed;
    expect(await admin.one('CLIENT', 'KILL', 'ID', String((plainId as { value: number }).value))).toEqual({ type: 'integer', value: 1 });
    await plain.closed;
    // SKIPME yes by default: the caller stays.
    expect(await admin.one('CLIENT', 'KILL', 'TYPE', 'normal')).toEqual({ type: 'integer', value: 0 });
    expect(await admin.one('PING')).toEqual({ type: 'simple', text: 'PONG' });
  });

  it('answers Valkey’s PRIMARY names like the MASTER ones, and COMMAND INFO with a nil for what it does not know', async () => {
    const c = await client((await listen()).port);
    expect(await c.one('SENTINEL', 'GET-PRIMARY-ADDR-BY-NAME', 'mymaster')).toEqual(await c.one('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'));
    expect(await c.one('SENTINEL', 'PRIMARY', 'mymaster')).toEqual(await c.one('SENTINEL', 'MASTER', 'mymaster'));
    expect((await c.one('SENTINEL', 'PRIMARIES')).type).toBe('array');
    const info = (await c.one('COMMAND', 'INFO', 'ping', 'get')) as { type: string; items: Array<{ type: string; items?: unknown[] }> };
    expect(info.items).toHaveLength(2);
    expect(info.items[0]!.items!.slice(0, 2)).toEqual([
      { type: 'bulk', text: 'ping' },
      { type: 'integer', value: -1 },
    ]);
    expect(info.items[1]).toEqual({ type: 'null' });
  });
});

describe("this project's operator subcommands (PAUSE, RESUME, STATUS, HISTORY)", () => {
  it('turns each into its operator request and answers the JSON, or the refusal as an error reply', async () => {
    const asked: unknown[] = [];
    const redis = await ioredis(
      await listen({
        operator: (request) => {
          asked.push(request);
          return Promise.resolve(
            request.master === 'nosuch' ? { ok: false, code: 'ERR', message: 'No such master' } : { ok: true, json: { done: request.action } },
          );
        },
      }),
    );
    expect(JSON.parse(String(await redis.call('SENTINEL', 'PAUSE', 'mymaster', '60000', 'kernel upgrade')))).toEqual({ done: 'pause' });
    expect(JSON.parse(String(await redis.call('SENTINEL', 'RESUME', '*')))).toEqual({ done: 'resume' });
    expect(JSON.parse(String(await redis.call('SENTINEL', 'STATUS')))).toEqual({ done: 'status' });
    expect(JSON.parse(String(await redis.call('SENTINEL', 'HISTORY', 'mymaster', '3')))).toEqual({ done: 'history' });
    expect(asked).toEqual([
      { action: 'pause', master: 'mymaster', forMs: 60_000, reason: 'kernel upgrade' },
      { action: 'resume', master: '*' },
      { action: 'status', master: '*' },
      { action: 'history', master: 'mymaster', limit: 3 },
    ]);
    await expect(redis.call('SENTINEL', 'STATUS', 'nosuch')).rejects.toMatchObject({ message: 'ERR No such master' });
    await expect(redis.call('SENTINEL', 'PAUSE', 'mymaster', '30m', 'x')).rejects.toMatchObject({ message: 'ERR syntax error' });
    await expect(redis.call('SENTINEL', 'PAUSE', 'mymaster', '1000')).rejects.toMatchObject({
      message: "ERR wrong number of arguments for 'sentinel|pause' command",
    });
  });
});
