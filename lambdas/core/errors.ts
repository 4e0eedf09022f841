/**
 * The one error hierarchy. Every error a person or a workflow can act on is a FailoverError:
 * a `code` a program branches on, a one-line message (never a password) and, where another
 * error caused it, that error as `cause`. Each runtime maps the code once: the command line
 * to an exit status (cli/errors.ts), the Sentinel port to a RESP error (local/resp-errors.ts),
 * Lambda to `errorType`, which is the class name (what the workflow's Retry and Catch match).
 *
 * The simulation's stand-ins for AWS's own errors (sim/) are not here: they are AWS's shapes.
 */
import type { Address } from './types.ts';

export type ErrorCode =
  /** A command line mistake. */
  | 'USAGE'
  /** A refused config file, `-c` context value or construct prop. */
  | 'CONFIG'
  /** SENTINEL FAILOVER refused, nothing changed: Sentinel's codes and ours (RefusalCode). */
  | RefusalCode
  /** A coordinated handover started and was undone: the old master is still the master. */
  | 'ABORTED'
  | 'REDIS_UNREACHABLE'
  | 'REDIS_AUTH'
  /** A step acted for an epoch that no longer holds the master record. */
  | 'STALE_EPOCH'
  /** A step's input no retry could make work. */
  | 'BAD_INPUT'
  /** A template this machine cannot resolve. */
  | 'TEMPLATE'
  /** A fault injected into a voter. */
  | 'VOTER_CRASH'
  /** A running orchestrator answered a request with an error of its own. */
  | 'ORCHESTRATOR';

/**
 * Sentinel's error codes for SENTINEL FAILOVER, plus UNKNOWN for a name not in the config and
 * UNREACHABLE for a coordinated request whose master does not answer.
 */
export type RefusalCode = 'INPROG' | 'NOGOODSLAVE' | 'UNKNOWN' | 'UNREACHABLE';

export interface FailoverErrorOptions {
  readonly cause?: unknown;
}

/** The base of every error of this project: `code` for programs, a one-line message, the `cause` when it wraps one. */
export abstract class FailoverError extends Error {
  /** What went wrong, for a program to branch on (the message is for people). */
  abstract readonly code: ErrorCode;
  constructor(message: string, options: FailoverErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/**
 * A FailoverError class of one kind: its `name` is fixed here, not taken from the class, because
 * it is Lambda's `errorType`, which the workflow's Retry and Catch match (lib/failover-workflow.ts).
 */
function kind<C extends ErrorCode>(name: string, code: C) {
  return class extends FailoverError {
    override readonly name: string = name;
    readonly code: C = code;
  };
}

/** A kind about one server: the message names it (`host:port what: reason`). */
function serverKind<C extends ErrorCode>(name: string, code: C, what: string) {
  return class extends kind(name, code) {
    constructor(
      readonly address: Address,
      reason: string,
      options?: FailoverErrorOptions,
    ) {
      super(`${address.host}:${address.port} ${what}: ${reason}`, options);
    }
  };
}

/** A mistake on the command line: one line on stderr, exit status 2, nothing touched. */
export class UsageError extends kind('UsageError', 'USAGE') {}

/** A refused config. The message is one line and never holds a password. */
export class ConfigError extends kind('ConfigError', 'CONFIG') {}

/** A bad `-c` value: one line naming the key. */
export class ContextError extends ConfigError {
  override readonly name = 'ContextError';
}

/** The construct's props refused: a one-line message naming the construct and the prop. */
export class RedisFailoverPropsError extends ConfigError {
  override readonly name = 'RedisFailoverPropsError';
}

/** The failover request was refused; nothing was changed. The message starts with the code. */
export class FailoverRefused extends FailoverError {
  override readonly name = 'FailoverRefused';
  constructor(
    readonly code: RefusalCode,
    /** The message without the code. */
    readonly detail: string,
    options?: FailoverErrorOptions,
  ) {
    super(`${code} ${detail}`, options);
  }
}

/** The handover did not complete; the old master was left (or is back) as it was. */
export class HandoverAbortedError extends kind('HandoverAbortedError', 'ABORTED') {}

/** Thrown when a server cannot be reached or does not answer in time. */
export class RedisUnreachableError extends serverKind('RedisUnreachableError', 'REDIS_UNREACHABLE', 'unreachable') {}

/** The server refused our credentials (or has none for us): not a dead server, a configuration to fix. */
export class RedisAuthError extends serverKind('RedisAuthError', 'REDIS_AUTH', 'refused authentication') {}

/** Thrown when a failover step acts for an epoch that no longer holds the master record. */
export class StaleEpochError extends kind('StaleEpochError', 'STALE_EPOCH') {}

/**
 * A step's input that no retry could make work: a forged, stale or hand-edited execution input.
 * The workflow does not retry it (lib/failover-workflow.ts), and the execution fails naming it.
 */
export class WorkflowInputError extends kind('WorkflowInputError', 'BAD_INPUT') {}

/** A template this machine cannot resolve: one line naming the intrinsic. */
export class TemplateError extends kind('TemplateError', 'TEMPLATE') {}

/** Thrown out of a tick when a fault asks the voter to die. */
export class VoterCrash extends kind('VoterCrash', 'VOTER_CRASH') {}

/** A running `redis-failover local` answered a request with a plain error (its output says more). */
export class OrchestratorError extends kind('OrchestratorError', 'ORCHESTRATOR') {}

/** An error's message, whatever was thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
