/**
 * A voter's look at the group's DNS records while all is well: every so often (Route 53 allows
 * five API requests a second per account), and soon after the replicas that serve change, it
 * compares them with the table and puts back what disagrees (`+fix-dns-record`). In the
 * background, like the repairs: a slow API call never holds a PING.
 */
import { addressKey, sameAddress } from '../../core/address.ts';
import { recordEvent } from '../../core/events.ts';
import type { Address } from '../../core/types.ts';
import type { WatchContext } from './context.ts';
import { answersLately, type Instances } from './instances.ts';
import { messageOf } from '../../core/errors.ts';

/** The default pause between two looks (ENDPOINT_CHECK_SECONDS on AWS). */
const ENDPOINT_CHECK_MS = 30_000;
/** The least pause when only the serving replicas changed: a flapping replica costs one look per this. */
const CHANGE_PAUSE_MS = 2000;

export class EndpointCheck {
  private running: Promise<void> | null = null;
  private lastAt = Number.NEGATIVE_INFINITY;
  private lastServing: string | null = null;

  constructor(
    private readonly ctx: WatchContext,
    private readonly instances: Instances,
  ) {}

  /** Starts a look if one is due; never waits for it. */
  start(now: number): void {
    const endpoint = this.ctx.deps.endpoint;
    if (!endpoint || this.running) return;
    const record = this.ctx.record();
    const serving = this.instances.servingReplicasOf(record, now);
    const key = [addressKey(record), ...serving.map(addressKey).sort()].join(' ');
    const due = now - this.lastAt >= (this.ctx.deps.endpointCheckMs ?? ENDPOINT_CHECK_MS) || (key !== this.lastServing && now - this.lastAt >= CHANGE_PAUSE_MS);
    if (!due) return;
    // A name carries no port: a client given it uses the master's (said at each look, every 30 s).
    const otherPort = serving.find((r) => r.port !== record.port);
    if (otherPort)
      this.ctx.notice(
        `${this.ctx.config.name}: replica ${addressKey(otherPort)} listens on another port than the master (${record.port}): a client finding it by DNS name would use the wrong port`,
      );
    this.lastAt = now;
    this.lastServing = key;
    // A replica this invocation has no fresh INFO of (none yet, or only the one handed over) is not
    // known to be out: the reader record waits until each answers lately or is held down.
    const readerKnown = this.instances.knownReplicas.every((address) => {
      const instance = this.instances.get(address);
      return instance !== undefined && (answersLately(instance, now) || instance.watch.sdownSince !== null);
    });
    this.running = this.look(record, serving, readerKnown)
      .catch((error: unknown) => this.ctx.deps.log?.(`${this.ctx.config.name}: DNS records not checked: ${messageOf(error)}`))
      .finally(() => (this.running = null));
  }

  /** Waits for a look under way (at the end of an invocation). */
  async settle(): Promise<void> {
    await this.running;
  }

  /** Soon after a new master of record: its replicas change, and the reader record with them. */
  reset(): void {
    this.lastAt = Number.NEGATIVE_INFINITY;
  }

  private async look(record: Address, serving: readonly Address[], readerKnown: boolean): Promise<void> {
    const name = this.ctx.config.name;
    // Never on a stale record: right after a switch this voter may not have read it yet, and
    // would point the name back at the old master.
    const fresh = await this.ctx.deps.store.getMaster(name);
    if (!fresh || !sameAddress(fresh, record) || fresh.failover !== null) return;
    const rewritten = await this.ctx.deps.endpoint!.repair(name, record, serving, { reader: readerKnown });
    if (rewritten.length > 0) await this.ctx.publish(rewritten.map((r) => recordEvent('+fix-dns-record', this.ctx.ref(), r)));
  }
}
