/**
 * Step Functions running the template's state machine: the definition as synthesized, executed
 * by local/workflow-executor.ts, each Task a synchronous invocation of the function its Resource
 * names. Errors cross the boundary as they do on AWS: a function error by its errorType (an
 * environment that timed out or died as Lambda.Unknown, which Step Functions reports for both),
 * an error of the Lambda service as `Lambda.<code>`, so Retry and Catch match as deployed.
 */
import type { TaskTokens } from '../local/callback-tasks.ts';
import { WorkflowExecutor, type ExecutionResult, type HistoryEvent } from '../local/workflow-executor.ts';
import type { StateMachineSpec } from './assembly.ts';
import { LambdaServiceError, type LambdaService, type SyncResult } from './lambda/service.ts';
import type { ExecutionOutcome, SimStateMachine } from './services/step-functions.ts';

/** Function errors Step Functions cannot read an error type from. */
const UNKNOWN_ERRORS = new Set(['Sandbox.Timedout', 'Runtime.ExitError']);

export interface SimulatedStateMachine extends SimStateMachine {
  /** Each execution's history, by name, once it has ended. */
  readonly results: ReadonlyMap<string, ExecutionResult>;
  /** An execution's history by name: live while it runs, kept after it ends. */
  history(name: string): readonly HistoryEvent[] | undefined;
  /** Stops every execution still running (the deployment is going away). */
  abortAll(): void;
}

/** `tokens`: the callback tasks' tokens, answered through the Step Functions stand-in (SendTaskSuccess…). */
export function simulatedStateMachine(spec: StateMachineSpec, lambda: LambdaService, tokens?: TaskTokens): SimulatedStateMachine {
  const executor = new WorkflowExecutor(spec.definition);
  const results = new Map<string, ExecutionResult>();
  const histories = new Map<string, readonly HistoryEvent[]>();
  const running = new Set<{ abort(): void }>();
  return {
    arn: spec.arn,
    definition: spec.definition,
    results,
    history: (name) => histories.get(name),
    abortAll: () => {
      for (const execution of running) execution.abort();
    },
    async run({ name, input }): Promise<ExecutionOutcome> {
      const execution = executor.run(input, {
        name,
        startedAt: Date.now(),
        ...(tokens && { tokens }),
        runTask: async ({ resource, input: taskInput }) => {
          let answer: SyncResult;
          try {
            answer = await lambda.invoke(resource, taskInput);
          } catch (error) {
            if (error instanceof LambdaServiceError) throw named(`Lambda.${error.code}`, error.message);
            throw error;
          }
          if (answer.functionError === null) return answer.payload;
          const payload = answer.payload as { errorType: string; errorMessage: string };
          // Step Functions' Cause is the function's error object, as JSON.
          throw named(UNKNOWN_ERRORS.has(payload.errorType) ? 'Lambda.Unknown' : payload.errorType, JSON.stringify(payload));
        },
      });
      running.add(execution);
      histories.set(name, execution.history);
      const result = await execution.result.finally(() => running.delete(execution));
      results.set(name, result);
      if (result.status === 'SUCCEEDED') return { status: 'SUCCEEDED', output: result.output };
      return { status: result.status, error: result.error ?? 'Error', cause: result.cause ?? '' };
    },
  };
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
