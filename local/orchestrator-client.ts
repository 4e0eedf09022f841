/**
 * Talks to a running `redis-failover local` through its Sentinel port, so a manual failover
 * asked from another terminal goes through the voters' lease instead of racing them.
 */
import { Redis } from 'ioredis';
import type { Address } from '../lambdas/core/types.ts';
import { UsageError, messageOf } from '../lambdas/core/errors.ts';
import { NO_RECONNECT } from '../lambdas/adapters/redis.ts';
import type { OperatorRequest } from '../lambdas/runtime/operator.ts';

export interface MasterState {
  readonly address: Address;
  readonly epoch: number;
  readonly failoverInProgress: boolean;
  /** A maintenance pause's end (ISO), when one is in force. */
  readonly pausedUntil: string | null;
}

/** Covers the default handover (5 s of paused writes, 5 s for Redis to give up) with room to spare. */
const HANDOVER_REPLY_TIMEOUT_MS = 20_000;
const PATIENT = { host: '127.0.0.1', connectTimeout: 500, commandTimeout: HANDOVER_REPLY_TIMEOUT_MS, maxRetriesPerRequest: 0, ...NO_RECONNECT } as const;

export class OrchestratorClient {
  private constructor(
    private readonly client: Redis,
    readonly port: number,
    private readonly password: string | undefined,
  ) {}

  /**
   * The orchestrator answering on this loopback port, or null when nothing listens there or
   * something else does (a real Sentinel does not say `redis_failover:1` in its INFO). Rejects
   * when something answers there but wants a password this client was not given, or refuses it:
   * going on alone would race whatever watches there.
   */
  static async find(port: number, password?: string): Promise<OrchestratorClient | null> {
    const auth = password === undefined ? {} : { password };
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      connectTimeout: 500,
      commandTimeout: 2000,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      ...NO_RECONNECT,
      ...auth,
    });
    // A refused AUTH at connect arrives as an error event, and the connection then closes.
    const errors: string[] = [];
    client.on('error', (error: Error) => errors.push(error.message));
    try {
      await client.connect();
      const info = String(await client.call('INFO'));
      if (/^redis_failover:1\r?$/m.test(info)) return new OrchestratorClient(client, port, password);
    } catch (error) {
      errors.push(messageOf(error));
    }
    const refusal = errors.some((m) => m.startsWith('WRONGPASS'))
      ? 'refused the password given with --password-env'
      : errors.some((m) => m.startsWith('NOAUTH'))
        ? 'wants a password: give it with --password-env <VAR>'
        : null; // else: nothing there, or not us
    client.disconnect();
    if (refusal) throw new UsageError(`something answers on 127.0.0.1:${port} and ${refusal}`);
    return null;
  }

  /**
   * SENTINEL FAILOVER [COORDINATED]: resolves on OK; rejects with the orchestrator's one-line
   * answer (INPROG, NOGOODSLAVE, ABORTED, ERR). A coordinated request answers only once the
   * handover is over, which takes longer than this client's usual command timeout.
   */
  async failover(name: string, options: { readonly coordinated?: boolean } = {}): Promise<void> {
    if (!options.coordinated) {
      await this.client.call('SENTINEL', 'FAILOVER', name);
      return;
    }
    const patient = new Redis({ ...PATIENT, port: this.port, ...(this.password !== undefined && { password: this.password }) });
    patient.on('error', () => undefined);
    try {
      await patient.call('SENTINEL', 'FAILOVER', name, 'COORDINATED');
    } finally {
      patient.disconnect();
    }
  }

  async masterAddress(name: string): Promise<Address | null> {
    const reply = (await this.client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string] | null;
    return reply ? { host: reply[0], port: Number(reply[1]) } : null;
  }

  /** The master of record, its epoch, and whether a failover holds it now (SENTINEL MASTER). */
  async masterState(name: string): Promise<MasterState> {
    const flat = (await this.client.call('SENTINEL', 'MASTER', name)) as string[];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
    return {
      address: { host: fields.get('ip') ?? '', port: Number(fields.get('port')) },
      epoch: Number(fields.get('config-epoch')),
      failoverInProgress: (fields.get('flags') ?? '').split(',').includes('failover_in_progress'),
      pausedUntil: fields.get('paused-until') ?? null,
    };
  }

  /**
   * This project's operator subcommands (SENTINEL PAUSE, RESUME, STATUS, HISTORY, answered as
   * JSON), and GET-MASTER-ADDR-BY-NAME; rejects with the port's error reply.
   */
  async operate(request: OperatorRequest): Promise<unknown> {
    switch (request.action) {
      case 'pause':
        return JSON.parse(String(await this.client.call('SENTINEL', 'PAUSE', request.master, String(request.forMs), request.reason)));
      case 'resume':
      case 'status':
        return JSON.parse(String(await this.client.call('SENTINEL', request.action.toUpperCase(), request.master)));
      case 'history':
        return JSON.parse(
          String(await this.client.call('SENTINEL', 'HISTORY', request.master, ...(request.limit !== undefined ? [String(request.limit)] : []))),
        );
      case 'get-master-addr': {
        const address = await this.masterAddress(request.master);
        if (!address) throw new Error(`ERR No such master with that name: ${JSON.stringify(request.master)}`);
        return { master: request.master, ...address };
      }
      case 'failover':
        throw new Error('ERR a failover goes through failover(), which follows it to the switch');
    }
  }

  close(): void {
    this.client.disconnect();
  }
}
