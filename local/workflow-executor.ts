/**
 * Runs a state machine definition on this machine with aws-local-stepfunctions: Retry, Catch,
 * Map and Parallel as Step Functions runs them. What a Task does is the caller's: the local
 * runtime calls the handler's `run` in this process; the AWS simulation invokes the function's
 * bundle in its container. A task fails the way Step Functions sees it: by an error's `name`.
 */
import './polyfill.ts';
import { ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from './workflow-definition.ts';
import { CALLBACK_RESOURCE, invokedFunction, runCallbackTask, TaskTokens } from './callback-tasks.ts';
import { messageOf } from '../lambdas/core/errors.ts';

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JSONValue = Parameters<StateMachine['run']>[0];

/** Runs one Task state: resolves with its result, or throws an Error named as Step Functions names the failure. */
export type TaskRunner = (task: { readonly state: string; readonly resource: string; readonly input: unknown }) => Promise<unknown>;

/** A line of the execution's history, as the console's "Events" tab would show it. */
export interface HistoryEvent {
  readonly type: string;
  readonly state: string | null;
  /** Map iteration, when inside one. */
  readonly index: number | null;
  readonly at: number;
  readonly error: string | null;
}

export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
  /** State names in the order they were entered (Map iterations included). */
  readonly statesEntered: readonly string[];
  /** The top-level document as the last state left it. */
  readonly lastState: unknown;
  readonly history: readonly HistoryEvent[];
}

export interface RunningExecution {
  readonly result: Promise<ExecutionResult>;
  /** The history so far: grows while it runs (GetExecutionHistory of a RUNNING execution); `result.history` once it ends. */
  readonly history: readonly HistoryEvent[];
  /** Stops it where it is (StopExecution); `result` then says ABORTED. */
  abort(): void;
}

/** A Task state: the function it invokes (a callback task's too), and whether it then waits for a token. */
export interface TaskResource {
  readonly name: string;
  readonly resource: string | undefined;
  readonly callback: boolean;
}

/** Every Task state at any depth (Map item processors, Parallel branches), with the function it invokes. */
export function taskResources(definition: StateMachineDefinition): TaskResource[] {
  const found: TaskResource[] = [];
  const walk = (machine: StateMachineDefinition) => {
    for (const [name, state] of Object.entries(machine.States)) {
      if (state.Type === 'Task') found.push({ name, resource: invokedFunction(state), callback: state.Resource === CALLBACK_RESOURCE });
      const nested = state.ItemProcessor ?? state.Iterator;
      if (nested) walk(nested);
      for (const branch of state.Branches ?? []) walk(branch);
    }
  };
  walk(definition);
  return found;
}

/** The Type of every state at any depth (Map item processors, Parallel branches): state names are unique in the whole machine. */
export function stateTypesOf(definition: StateMachineDefinition | undefined): Map<string, string> {
  const types = new Map<string, string>();
  const walk = (machine: StateMachineDefinition): void => {
    for (const [name, state] of Object.entries(machine.States)) {
      types.set(name, state.Type);
      const nested = state.ItemProcessor ?? state.Iterator;
      if (nested) walk(nested);
      for (const branch of state.Branches ?? []) walk(branch);
    }
  };
  if (definition) walk(definition);
  return types;
}

export class WorkflowExecutor {
  // Validating the definition takes 100-400 ms: done once, not when a failover starts.
  private readonly machine: StateMachine;
  private readonly tasks: readonly TaskResource[];

  constructor(readonly definition: StateMachineDefinition) {
    // A copy: the library's validator writes defaults (QueryLanguage) into the object it gets.
    this.machine = new StateMachine(structuredClone(definition) as never, { validationOptions: { checkArn: false } });
    this.tasks = taskResources(definition);
  }

  /**
   * `tokens`: who answers the callback tasks (RequestApproval); without, a callback task waits until
   * its heartbeat runs out, as one nobody answers does on AWS.
   */
  run(
    input: unknown,
    execution: { readonly name: string; readonly startedAt: number; readonly runTask: TaskRunner; readonly tokens?: TaskTokens },
  ): RunningExecution {
    const tokens = execution.tokens ?? new TaskTokens();
    // One callback task per execution (RequestApproval), so one token for its context.
    const token = tokens.issue(execution.name);
    const taskResourceLocalHandlers: LocalHandlers = {};
    for (const { name, resource, callback } of this.tasks) {
      const invoke = (taskInput: unknown) => execution.runTask({ state: name, resource: resource ?? '', input: taskInput });
      taskResourceLocalHandlers[name] = async (taskInput: unknown) =>
        (await (callback ? runCallbackTask(taskInput, token, tokens, invoke) : invoke(taskInput))) as JSONValue;
    }
    const running = this.machine.run(input as JSONValue, {
      overrides: { taskResourceLocalHandlers },
      context: {
        Execution: { Name: execution.name, Input: input as JSONValue, StartTime: new Date(execution.startedAt).toISOString() },
        Task: { Token: token },
      },
    });
    let aborted = false;
    const statesEntered: string[] = [];
    const history: HistoryEvent[] = [];
    let failure: { Error: string; Cause: unknown } | null = null;
    let lastState: unknown = null;
    const watching = (async () => {
      for await (const event of running.eventLogs) {
        const state = 'state' in event ? event.state.name : null;
        const index = 'index' in event && typeof event.index === 'number' ? event.index : null;
        history.push({ type: event.type, state, index, at: event.timestamp, error: 'Error' in event ? event.Error : null });
        if (event.type === 'StateEntered') statesEntered.push(event.state.name);
        if (event.type === 'StateExited' && event.index === undefined) lastState = event.state.output;
        if (event.type === 'ExecutionFailed') failure = { Error: event.Error, Cause: event.Cause };
      }
    })();
    const result = (async (): Promise<ExecutionResult> => {
      try {
        const output = await running.result;
        await watching;
        return { status: 'SUCCEEDED', output, error: null, cause: null, statesEntered, lastState: output, history };
      } catch (error) {
        await watching.catch(() => undefined);
        if (aborted) return { status: 'ABORTED', output: null, error: null, cause: null, statesEntered, lastState, history };
        // The definition's top-level TimeoutSeconds ran out: Step Functions ends it TIMED_OUT, States.Timeout.
        if (error instanceof ExecutionTimeoutError)
          return {
            status: 'TIMED_OUT',
            output: null,
            error: 'States.Timeout',
            cause: 'The execution ran past its TimeoutSeconds.',
            statesEntered,
            lastState,
            history,
          };
        const failed = failure as { Error: string; Cause: unknown } | null;
        const cause = failed ? String(failed.Cause) : messageOf(error);
        return { status: 'FAILED', output: null, error: failed?.Error ?? 'Error', cause, statesEntered, lastState, history };
      }
    })();
    return {
      result,
      history,
      abort: () => {
        aborted = true;
        tokens.cancel(token);
        running.abort();
      },
    };
  }
}
