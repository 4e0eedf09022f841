/** The local runtime's events: one Sentinel-style line each on stdout, and optionally a JSON lines file. */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatEventLine } from '../core/events.ts';
import type { SentinelEvent } from '../core/events.ts';
import type { EventPublisher } from '../core/interfaces.ts';

export interface LocalPublisherOptions {
  /** Defaults to process.stdout; null writes no line (the events go to the file, or to a LoggedPublisher's log). */
  readonly out?: NodeJS.WritableStream | null;
  /** Appended with one JSON object per event (`{time,type,master,message,detail}`). */
  readonly jsonLinesFile?: string;
  /** Prefix each line with `[ISO time]`; default true. */
  readonly timestamps?: boolean;
}

export class LocalPublisher implements EventPublisher {
  readonly #out: NodeJS.WritableStream | null;
  readonly #file: string | undefined;
  readonly #timestamps: boolean;
  /** File appends, one after the other: concurrent publishers (the Parallel and Map branches) keep stdout's order in the file. */
  #appending: Promise<void> = Promise.resolve();

  constructor(options: LocalPublisherOptions = {}) {
    this.#out = options.out === undefined ? process.stdout : options.out;
    this.#file = options.jsonLinesFile;
    this.#timestamps = options.timestamps ?? true;
  }

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.#out?.write(events.map((e) => `${formatEventLine(e, this.#timestamps)}\n`).join(''));
    const file = this.#file;
    if (file === undefined) return;
    const lines = events.map(({ time, type, master, message, detail }) => `${JSON.stringify({ time, type, master, message, detail })}\n`);
    // One append per call keeps a batch's lines together in the file.
    const append = this.#appending.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, lines.join(''));
    });
    this.#appending = append.catch(() => undefined);
    await append;
  }
}
