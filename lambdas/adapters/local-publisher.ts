/** The local runtime's events: one Sentinel-style line each on stdout, and optionally a JSON lines file. */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { formatEventLine } from '../core/events.ts';
import type { SentinelEvent } from '../core/events.ts';
import type { EventPublisher } from './publisher.ts';

export interface LocalPublisherOptions {
  /** Defaults to process.stdout. */
  readonly out?: NodeJS.WritableStream;
  /** Appended with one JSON object per event (`{time,type,master,message,detail}`). */
  readonly jsonLinesFile?: string;
  /** Prefix each line with `[ISO time]`; default true. */
  readonly timestamps?: boolean;
}

export class LocalPublisher implements EventPublisher {
  readonly #out: NodeJS.WritableStream;
  readonly #file: string | undefined;
  readonly #timestamps: boolean;
  #dirReady = false;

  constructor(options: LocalPublisherOptions = {}) {
    this.#out = options.out ?? process.stdout;
    this.#file = options.jsonLinesFile;
    this.#timestamps = options.timestamps ?? true;
  }

  async publish(events: readonly SentinelEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.#out.write(events.map((e) => `${formatEventLine(e, this.#timestamps)}\n`).join(''));
    if (this.#file === undefined) return;
    if (!this.#dirReady) {
      await mkdir(dirname(this.#file), { recursive: true });
      this.#dirReady = true;
    }
    const lines = events.map(({ time, type, master, message, detail }) => `${JSON.stringify({ time, type, master, message, detail })}\n`);
    // One append per call keeps a batch's lines together in the file.
    await appendFile(this.#file, lines.join(''));
  }
}
