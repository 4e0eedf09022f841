/**
 * The outside observer's writer (local/writer.ts): numbered `bench:<n>` keys one at a time, as fast
 * as the master answers, through a fast-failing connection opened again after each failure, and
 * after the kill on the master the system announces (`follow`).
 */
import type { WriterOptions } from '../local/writer.ts';

export const BENCH_WRITER = { prefix: 'bench', reconnect: true } as const satisfies WriterOptions;
