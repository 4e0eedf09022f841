/**
 * Our errors as the Sentinel port answers them, and back: the one mapping between the error
 * hierarchy (lambdas/core/errors.ts) and RESP error replies. Sentinel's own codes (INPROG,
 * NOGOODSLAVE) pass as they are, so Sentinel clients read them; ABORTED is ours (a handover
 * started and was undone, which a client must tell apart from a refusal); the rest is ERR.
 */
import { FailoverError, FailoverRefused, HandoverAbortedError, OrchestratorError } from '../lambdas/core/errors.ts';

export type ReplyCode = 'INPROG' | 'NOGOODSLAVE' | 'ABORTED' | 'ERR';

export interface ErrorReply {
  readonly code: ReplyCode;
  /** The text after the code. */
  readonly message: string;
}

/** The reply for one of our errors; undefined for anything else (a bug, which the port answers -ERR). */
export function replyOf(error: unknown): ErrorReply | undefined {
  if (!(error instanceof FailoverError)) return undefined;
  if (error instanceof FailoverRefused) return { code: error.code === 'INPROG' || error.code === 'NOGOODSLAVE' ? error.code : 'ERR', message: error.detail };
  return { code: error.code === 'ABORTED' ? 'ABORTED' : 'ERR', message: error.message };
}

/** The error an orchestrator's reply stands for, as our own client raises it (`what` prefixes a plain ERR). */
export function errorOfReply(reply: string, what: string): FailoverError {
  const [code = '', ...rest] = reply.split(' ');
  const message = rest.join(' ');
  if (code === 'INPROG' || code === 'NOGOODSLAVE') return new FailoverRefused(code, message);
  if (code === 'ABORTED') return new HandoverAbortedError(message);
  return new OrchestratorError(`${what}: ${code === 'ERR' ? message : reply}`);
}
