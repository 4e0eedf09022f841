/**
 * What every Node.js client application (node-client.ts, dns-client.ts) shares with the process
 * that runs it (bench/app-process.ts): it stops when its stdin closes, reports failures on stdout
 * at most every 100 ms, and writes one key at a time, `ack <n>` per acknowledged write.
 */
import { createInterface } from 'node:readline';
import { sleep } from '../../lambdas/core/wait.ts';

let stopped = false;
createInterface({ input: process.stdin }).on('close', () => (stopped = true));

/** True once the runner closed stdin. */
export function isStopped(): boolean {
  return stopped;
}

let lastFail = 0;

/** `fail <error>`, at most every 100 ms. */
export function fail(error: unknown): void {
  if (Date.now() - lastFail < 100) return;
  lastFail = Date.now();
  process.stdout.write(`fail ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`.slice(0, 160).replace(/\n/g, ' ') + '\n');
}

/** Rejects after `ms`: a request that hangs past the client's own timeout is a failure, reported and retried. */
export function within<T>(request: Promise<T>, ms = 500): Promise<T> {
  return Promise.race([request, sleep(ms).then(() => Promise.reject(new Error(`no answer within ${ms} ms`)))]);
}

/** SET client:<n> one at a time until stopped. */
export async function writeLoop(set: (n: number) => Promise<void>): Promise<void> {
  let n = 0;
  while (!stopped) {
    try {
      await within(set(n));
      process.stdout.write(`ack ${n}\n`);
      n++;
    } catch (error) {
      fail(error);
      await sleep(2);
    }
  }
}
