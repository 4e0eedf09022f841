/**
 * Runs the synthesized failover workflow on this machine with aws-local-stepfunctions,
 * each Lambda task replaced by the `run` export of the handler file that Lambda bundles.
 */
import './polyfill.ts';
import { StateMachine } from 'aws-local-stepfunctions';

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JSONValue = Parameters<StateMachine['run']>[0];
import type { FailoverInput } from '../lambdas/core/types.ts';
import { executionName, type FailoverState } from '../lambdas/core/workflow-state.ts';
import type { StepDeps } from '../lambdas/runtime/deps.ts';
import { stepEntry, type StepKey } from '../lib/steps.ts';
import { synthesizedWorkflow, taskStates, type StateMachineDefinition } from './workflow-definition.ts';

type StepRun = (input: unknown, deps: StepDeps) => Promise<unknown>;

/** Test hooks around each task, the local equivalent of `SENTINEL SIMULATE-FAILURE`. */
export interface StepHooks {
  /** Called before a task state runs its step. */
  readonly before?: (state: string, input: unknown) => Promise<void> | void;
  /** Run every step twice in a row, as a Step Functions retry might. */
  readonly runTwice?: boolean;
  /** Stop the execution dead when this task state is reached (SIMULATE-FAILURE crash-after-promotion: 'ReconfSlave'). */
  readonly crashBefore?: string;
}

export interface LocalExecution {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  readonly output: FailoverState | null;
  readonly error: string | null;
  readonly cause: string | null;
  /** State names in the order they were entered (Map iterations included). */
  readonly statesEntered: readonly string[];
  /** The top-level document as the last state left it: on failure, what the steps had found. */
  readonly lastState: FailoverState | null;
}

let loading: Promise<LocalWorkflow> | undefined;

export class LocalWorkflow {
  // Validating the definition takes 100-400 ms: done once, when loading, not when a failover starts.
  private readonly machine: StateMachine;

  private constructor(
    readonly definition: StateMachineDefinition,
    private readonly steps: ReadonlyMap<string, StepRun>,
  ) {
    // A copy: the library's validator writes defaults (QueryLanguage) into the object it gets.
    this.machine = new StateMachine(structuredClone(definition) as never, { validationOptions: { checkArn: false } });
  }

  /** Synthesizes the stack (once per process) and loads every step's handler module. */
  static load(): Promise<LocalWorkflow> {
    loading ??= LocalWorkflow.create();
    return loading;
  }

  private static async create(): Promise<LocalWorkflow> {
    const { definition } = await synthesizedWorkflow();
    const steps = new Map<string, StepRun>();
    const modules = new Map<StepKey, StepRun>();
    for (const { name, step } of taskStates(definition)) {
      let run = modules.get(step);
      if (!run) {
        const module = (await import(stepEntry(step))) as { run?: StepRun };
        if (typeof module.run !== 'function') throw new Error(`${stepEntry(step)} has no run export`);
        run = module.run;
        modules.set(step, run);
      }
      steps.set(name, run);
    }
    return new LocalWorkflow(definition, steps);
  }

  async run(input: FailoverInput, deps: StepDeps, hooks: StepHooks = {}): Promise<LocalExecution> {
    const name = executionName(input.master.name, input.epoch);
    const taskResourceLocalHandlers: LocalHandlers = {};
    let crashed = false;
    const crash = () => {
      crashed = true;
      execution.abort();
    };
    for (const [state, run] of this.steps) {
      taskResourceLocalHandlers[state] = async (stepInput: unknown) => {
        if (hooks.crashBefore === state) {
          crash();
          return new Promise<JSONValue>(() => undefined); // never answers: the execution is gone
        }
        await hooks.before?.(state, stepInput);
        const result = await run(stepInput, deps);
        return (hooks.runTwice ? await run(stepInput, deps) : result) as JSONValue;
      };
    }
    const execution = this.machine.run(input as unknown as JSONValue, {
      overrides: { taskResourceLocalHandlers },
      context: { Execution: { Name: name, Input: input as unknown as JSONValue, StartTime: new Date(input.startedAt).toISOString() } },
    });
    const statesEntered: string[] = [];
    let failure: { Error: string; Cause: unknown } | null = null;
    let lastState: FailoverState | null = null;
    const watching = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') statesEntered.push(event.state.name);
        if (event.type === 'StateExited' && event.index === undefined) lastState = event.state.output as unknown as FailoverState;
        if (event.type === 'ExecutionFailed') failure = { Error: event.Error, Cause: event.Cause };
      }
    })();
    try {
      const output = (await execution.result) as unknown as FailoverState;
      await watching;
      return { name, status: 'SUCCEEDED', output, error: null, cause: null, statesEntered, lastState: output };
    } catch (error) {
      await watching.catch(() => undefined);
      if (crashed) return { name, status: 'ABORTED', output: null, error: 'Crashed', cause: `simulated crash before ${hooks.crashBefore}`, statesEntered, lastState };
      const failed = failure as { Error: string; Cause: unknown } | null;
      const cause = failed ? String(failed.Cause) : error instanceof Error ? error.message : String(error);
      return { name, status: 'FAILED', output: null, error: failed?.Error ?? 'Error', cause, statesEntered, lastState };
    }
  }
}
