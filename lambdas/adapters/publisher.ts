/** Publishers that compose others (core/interfaces.ts has the interface): memory, fan-out, logged, metered. */
import type { SentinelEvent } from '../core/events.ts';
import { eventCounts } from '../core/failover-metrics.ts';
import type { EventPublisher, Metrics } from '../core/interfaces.ts';
import { eventFields, type Logger } from './log.ts';
import { messageOf } from '../core/errors.ts';
import { perGroup } from './metrics.ts';

/** Keeps every event published, for tests and for the demo's timeline. */
export class MemoryPublisher implements EventPublisher {
  readonly events: SentinelEvent[] = [];

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

/** Publishes to each target. Every target is tried even if one fails; the first failure is then thrown. */
export class FanoutPublisher implements EventPublisher {
  readonly #targets: readonly EventPublisher[];

  constructor(targets: readonly EventPublisher[]) {
    this.#targets = targets;
  }

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    const results = await Promise.allSettled(this.#targets.map((t) => t.publish(events)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Publishes through `inner` and logs each event, one JSON line with its Sentinel message; a failed publish is logged too, then thrown. */
export class LoggedPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly logger: Logger,
  ) {}

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    try {
      await this.inner.publish(events);
    } catch (error) {
      for (const event of events) this.logger.error('event not published', { ...eventFields(event), error: messageOf(error) });
      throw error;
    }
    for (const event of events) this.logger.info('event published', eventFields(event));
  }
}

/**
 * Publishes through `inner`, then counts the failovers the events start and end
 * (core/failover-metrics.ts) and writes them at once: the alarm on an abort must not wait for a flush.
 */
export class MeteredPublisher implements EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly metrics: Metrics,
  ) {}

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    await this.inner.publish(events);
    const counts = eventCounts(events);
    for (const { name, master, reason } of counts) {
      this.metrics.count(name, [...(reason === undefined ? [] : [{ Master: master, Reason: reason }]), ...perGroup(master)]);
    }
    if (counts.length > 0) this.metrics.flush();
  }
}
