/**
 * Step Functions' callback tasks (`lambda:invoke.waitForTaskToken`) for the two runners of the
 * synthesized workflow (the local runtime, the AWS simulation): the function is invoked with
 * `$$.Task.Token` in its payload, then the task waits until someone answers with
 * SendTaskSuccess or SendTaskFailure, or no heartbeat came in time (States.HeartbeatTimeout).
 * aws-local-stepfunctions runs the task's handler but knows neither tokens nor heartbeats.
 */
import { randomUUID } from 'node:crypto';
import type { StateDefinition } from './workflow-definition.ts';

export const CALLBACK_RESOURCE = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The function a Task state invokes: its Resource, or a callback task's Parameters.FunctionName. */
export function invokedFunction(state: StateDefinition): string | undefined {
  if (state.Resource !== CALLBACK_RESOURCE) return state.Resource;
  const name = (state['Parameters'] as { FunctionName?: unknown } | undefined)?.FunctionName;
  return typeof name === 'string' ? name : undefined;
}

/** An error as Step Functions names a failed task: Catch and Retry match on `name`. */
function stateError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

interface Waiter {
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly heartbeatMs: number;
  timer: NodeJS.Timeout;
}

/**
 * The tokens of the callback tasks waiting now, and the answers to them (Step Functions' side of
 * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat). A token is answered once; an unknown or
 * answered one is refused as Step Functions refuses it (`TaskDoesNotExist`, by the error's name).
 */
export class TaskTokens {
  private readonly waiting = new Map<string, Waiter>();

  /** A new token for one execution's callback task (the context's `$$.Task.Token`). */
  issue(execution: string): string {
    return `${execution}:${randomUUID()}`;
  }

  /**
   * Waits for the answer to `token`, registered at once so an answer that comes before the
   * function returns is not lost. Rejects with States.HeartbeatTimeout after `heartbeatSeconds`
   * without an answer or heartbeat, or with the error SendTaskFailure named.
   */
  wait(token: string, heartbeatSeconds: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const heartbeatMs = heartbeatSeconds * 1000;
      const waiter: Waiter = { resolve, reject, heartbeatMs, timer: setTimeout(() => undefined, 0) };
      this.waiting.set(token, waiter);
      this.arm(token, waiter);
    });
  }

  succeed(token: string, output: unknown): void {
    const waiter = this.take(token);
    waiter.resolve(output);
  }

  fail(token: string, error: string, cause: string): void {
    const waiter = this.take(token);
    waiter.reject(stateError(error || 'States.TaskFailed', cause));
  }

  heartbeat(token: string): void {
    const waiter = this.waiting.get(token);
    if (!waiter) throw stateError('TaskDoesNotExist', 'Task Does Not Exist');
    this.arm(token, waiter);
  }

  /** The execution went away (stopped, the runtime is stopping): its task waits no more. */
  cancel(token: string): void {
    const waiter = this.waiting.get(token);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiting.delete(token);
  }

  private arm(token: string, waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiter.timer = setTimeout(() => {
      this.waiting.delete(token);
      waiter.reject(stateError('States.HeartbeatTimeout', `no answer or heartbeat for the task within ${waiter.heartbeatMs / 1000} s`));
    }, waiter.heartbeatMs);
  }

  private take(token: string): Waiter {
    const waiter = this.waiting.get(token);
    if (!waiter) throw stateError('TaskDoesNotExist', 'Task Does Not Exist');
    clearTimeout(waiter.timer);
    this.waiting.delete(token);
    return waiter;
  }
}

/**
 * Runs one callback task: registers the wait, invokes the function with the payload (which
 * carries the token), then waits for the answer. The heartbeat is RequestApproval's
 * `approval.timeoutSeconds` (lib/failover-workflow.ts repeats its HeartbeatSecondsPath there).
 */
export async function runCallbackTask(input: unknown, token: string, tokens: TaskTokens, invoke: (payload: unknown) => Promise<unknown>): Promise<unknown> {
  const payload = (input as { Payload?: unknown }).Payload;
  const seconds = (payload as { approval?: { timeoutSeconds?: unknown } } | undefined)?.approval?.timeoutSeconds;
  if (typeof seconds !== 'number' || seconds < 1) throw stateError('States.Runtime', 'a callback task needs approval.timeoutSeconds in its payload');
  const answer = tokens.wait(token, seconds);
  try {
    await invoke(payload);
  } catch (error) {
    tokens.cancel(token);
    throw error;
  }
  return answer;
}
