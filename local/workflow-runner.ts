/**
 * Runs the synthesized failover workflow on this machine (local/workflow-executor.ts), each
 * Lambda task replaced by the `run` export of the handler file that Lambda bundles.
 */
import type { TaskTokens } from './callback-tasks.ts';
import type { FailoverInput } from '../lambdas/core/types.ts';
import { executionName, type FailoverState } from '../lambdas/core/workflow-state.ts';
import type { StepDeps } from '../lambdas/runtime/deps.ts';
import { stepEntry, type StepKey } from '../lib/steps.ts';
import { synthesizedWorkflow, taskStates, type StateMachineDefinition } from './workflow-definition.ts';
import { WorkflowExecutor, type ExecutionResult, type HistoryEvent } from './workflow-executor.ts';

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
  readonly status: ExecutionResult['status'];
  readonly output: FailoverState | null;
  readonly error: string | null;
  readonly cause: string | null;
  /** State names in the order they were entered (Map iterations included). */
  readonly statesEntered: readonly string[];
  /** The top-level document as the last state left it: on failure, what the steps had found. */
  readonly lastState: FailoverState | null;
  /** Each state entered and left, as the console's Events tab tells it. */
  readonly history: readonly HistoryEvent[];
}

let loading: Promise<LocalWorkflow> | undefined;

export class LocalWorkflow {
  private readonly executor: WorkflowExecutor;

  private constructor(
    readonly definition: StateMachineDefinition,
    private readonly steps: ReadonlyMap<string, StepRun>,
  ) {
    this.executor = new WorkflowExecutor(definition);
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

  /** `tokens` answers the approval task (the pre-failover veto): the orchestrator's hook, or a test. */
  async run(input: FailoverInput, deps: StepDeps, hooks: StepHooks = {}, tokens?: TaskTokens): Promise<LocalExecution> {
    const name = executionName(input.master.name, input.epoch);
    let crashed = false;
    const execution = this.executor.run(input, {
      name,
      startedAt: input.startedAt,
      ...(tokens && { tokens }),
      runTask: async ({ state, input: stepInput }) => {
        if (hooks.crashBefore === state) {
          crashed = true;
          execution.abort();
          return new Promise<never>(() => undefined); // never answers: the execution is gone
        }
        await hooks.before?.(state, stepInput);
        const run = this.steps.get(state)!;
        const result = await run(stepInput, deps);
        return hooks.runTwice ? await run(stepInput, deps) : result;
      },
    });
    const result = await execution.result;
    const lastState = result.lastState as FailoverState | null;
    if (crashed)
      return {
        name,
        status: 'ABORTED',
        output: null,
        error: 'Crashed',
        cause: `simulated crash before ${hooks.crashBefore}`,
        statesEntered: result.statesEntered,
        lastState,
        history: result.history,
      };
    return {
      name,
      status: result.status,
      output: result.output as FailoverState | null,
      error: result.error,
      cause: result.cause,
      statesEntered: result.statesEntered,
      lastState,
      history: result.history,
    };
  }
}
