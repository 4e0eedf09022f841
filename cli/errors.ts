import { FailoverError } from '../lambdas/core/errors.ts';

/** Exit statuses, documented in `--help`. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * The exit status of an error a person can act on: 2 when nothing was touched (a usage or config
 * mistake, a refused request), 1 when a failover started and failed; undefined for anything else,
 * which is a bug and keeps its stack.
 */
export function exitStatusOf(error: unknown): number | undefined {
  if (!(error instanceof FailoverError)) return undefined;
  switch (error.code) {
    case 'USAGE':
    case 'CONFIG':
    case 'INPROG':
    case 'NOGOODSLAVE':
    case 'UNKNOWN':
    case 'UNREACHABLE':
    case 'REDIS_AUTH':
    case 'ORCHESTRATOR':
      return EXIT.usage;
    case 'ABORTED':
      return EXIT.failed;
    default:
      return undefined;
  }
}
