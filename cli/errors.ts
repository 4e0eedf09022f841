/** A mistake on the command line or in the config: one line on stderr, exit status 2, nothing touched. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit statuses, documented in `--help`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
