/** Publishes events to an EventBridge bus: `detail-type` is the Sentinel event name. */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, type SentinelEvent } from '../core/events.ts';
import { sleep as realSleep } from '../core/wait.ts';
import type { EventPublisher } from '../core/interfaces.ts';

export interface EventBridgePublisherOptions {
  readonly client?: EventBridgeClient;
  readonly busName: string;
  /** The `source` of every event; a user rule matches on it. */
  readonly source?: string;
  /** Attempts per entry, the first included. */
  readonly maxAttempts?: number;
  /** Injected by tests to skip the backoff. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** PutEvents accepts at most 10 entries per call. */
const BATCH = 10;
const BACKOFF_MS = 50;

export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #busName: string;
  readonly #source: string;
  readonly #maxAttempts: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: EventBridgePublisherOptions) {
    this.#client = options.client ?? new EventBridgeClient({});
    this.#busName = options.busName;
    this.#source = options.source ?? EVENT_SOURCE;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.#sleep = options.sleep ?? realSleep;
  }

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    // Batches go one after the other so subscribers see events in order.
    for (let i = 0; i < events.length; i += BATCH) {
      await this.#publishBatch(events.slice(i, i + BATCH));
    }
  }

  #entry(event: SentinelEvent): PutEventsRequestEntry {
    return {
      Source: this.#source,
      DetailType: event.type,
      Detail: JSON.stringify({ ...event.detail, message: event.message }),
      EventBusName: this.#busName,
      Time: new Date(event.time),
    };
  }

  /** PutEvents can accept some entries and refuse others (throttling, internal errors): retry only those. */
  async #publishBatch(batch: readonly SentinelEvent[]): Promise<void> {
    let pending = batch;
    let codes: string[] = [];
    for (let attempt = 0; attempt < this.#maxAttempts; attempt++) {
      if (attempt > 0) await this.#sleep(BACKOFF_MS * 2 ** (attempt - 1));
      const out = await this.#client.send(new PutEventsCommand({ Entries: pending.map((e) => this.#entry(e)) }));
      if (!out.FailedEntryCount) return;
      const results = out.Entries ?? [];
      const failed = pending.flatMap((event, i) => {
        const result = results[i];
        // A missing result while some entries failed counts as failed: never drop an event silently.
        return result === undefined || result.ErrorCode ? [{ event, code: result?.ErrorCode ?? 'Unknown' }] : [];
      });
      if (failed.length === 0) return;
      pending = failed.map((f) => f.event);
      codes = failed.map((f) => f.code);
    }
    const what = pending.map((e, i) => `${e.type} (${codes[i] ?? 'Unknown'})`).join(', ');
    throw new Error(`EventBridge PutEvents to ${this.#busName} failed after ${this.#maxAttempts} attempts for ${pending.length} event(s): ${what}`);
  }
}
