/** Resolves after `ms` milliseconds. Only for pacing a poll loop, never as synchronisation. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Names the condition in the timeout error. */
  readonly what: string;
}

/**
 * Polls `condition` until it returns a truthy value and returns that value,
 * or throws once `timeoutMs` has passed. An exception thrown by the condition stops the wait.
 */
export async function waitFor<T>(condition: () => Promise<T | false | null | undefined> | T | false | null | undefined, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 50;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await sleep(interval);
  }
}
