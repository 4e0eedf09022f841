/**
 * Talks to a running `redis-failover local` through its Sentinel port, so a manual failover
 * asked from another terminal goes through the voters' lease instead of racing them.
 */
import { Redis } from 'ioredis';
import type { Address } from '../lambdas/core/types.ts';

export interface MasterState {
  readonly address: Address;
  readonly epoch: number;
  readonly failoverInProgress: boolean;
}

/** The default port of `redis-failover local`: Sentinel's. */
export { SENTINEL_PORT } from './ports.ts';

/** Covers the default handover (5 s of paused writes, 5 s for Redis to give up) with room to spare. */
const HANDOVER_REPLY_TIMEOUT_MS = 20_000;
const PATIENT = { host: '127.0.0.1', connectTimeout: 500, commandTimeout: HANDOVER_REPLY_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null } as const;

export class OrchestratorClient {
  private constructor(
    private readonly client: Redis,
    readonly port: number,
  ) {}

  /**
   * The orchestrator answering on this loopback port, or null when nothing listens there or
   * something else does (a real Sentinel does not say `redis_failover:1` in its INFO).
   */
  static async find(port: number): Promise<OrchestratorClient | null> {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 500, commandTimeout: 2000, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const info = String(await client.call('INFO'));
      if (/^redis_failover:1\r?$/m.test(info)) return new OrchestratorClient(client, port);
    } catch {
      // nothing there, or not us
    }
    client.disconnect();
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
    const patient = new Redis({ ...PATIENT, port: this.port });
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
    };
  }

  close(): void {
    this.client.disconnect();
  }
}
