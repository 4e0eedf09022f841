/**
 * The HTTP face of Step Functions for the simulation: StartExecution, DescribeExecution and
 * ListExecutions as the SFN client sees them (idempotent start by name, the error codes the
 * functions handle), over executions that someone else runs (the simulator's workflow runner),
 * so the functions that start and watch failovers run unchanged.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, startAwsJsonServer } from './aws-json-server.ts';
import type { AwsCallRecord } from './aws-json-server.ts';

export type ExecutionOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; readonly error: string; readonly cause: string };

export type ExecutionStatus = 'RUNNING' | ExecutionOutcome['status'];

export interface SimStateMachine {
  readonly arn: string;
  /** Runs one execution to its end; a throw ends it FAILED (error = the error's name, cause = its message). */
  run(execution: { readonly name: string; readonly executionArn: string; readonly input: unknown }): Promise<ExecutionOutcome>;
}

export interface SimExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  /** Epoch ms. */
  readonly startDate: number;
  readonly stopDate?: number;
  /** The input as sent (JSON text), and parsed. */
  readonly inputText: string;
  readonly input: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  /** The access key id of the function that started it. */
  readonly startedBy: string | null;
}

export interface ExecutionChange {
  readonly type: 'start' | 'stop';
  readonly execution: SimExecution;
}

export interface StepFunctionsStandInOptions {
  readonly stateMachines: readonly SimStateMachine[];
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

export interface StepFunctionsStandIn {
  readonly url: string;
  readonly calls: readonly AwsCallRecord[];
  /** Snapshots, in start order. */
  executions(): SimExecution[];
  /** Resolves once no execution is RUNNING (executions started meanwhile included). */
  settled(): Promise<void>;
  on(listener: (change: ExecutionChange) => void): () => void;
  /** Closes the HTTP face; executions still running are not stopped (their runner owns them). */
  stop(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
const STATUSES: readonly string[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** The JSON protocol carries timestamps as epoch seconds with fractions. */
const seconds = (ms: number): number => ms / 1000;

function summary(e: SimExecution): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    ...(e.stopDate === undefined ? {} : { stopDate: seconds(e.stopDate) }),
  };
}

function errorParts(error: unknown): { error: string; cause: string } {
  return error instanceof Error ? { error: error.name, cause: error.message } : { error: 'Error', cause: String(error) };
}

export const StepFunctionsStandIn = {
  async start(options: StepFunctionsStandInOptions): Promise<StepFunctionsStandIn> {
    const machines = new Map<string, SimStateMachine>();
    for (const machine of options.stateMachines) {
      if (!machine.arn.includes(':stateMachine:')) throw new Error(`${machine.arn} is not a state machine ARN`);
      machines.set(machine.arn, machine);
    }
    const executions = new Map<string, SimExecution>();
    const running = new Map<string, Promise<void>>();
    const listeners = new Set<(change: ExecutionChange) => void>();
    const emit = (change: ExecutionChange): void => {
      for (const listener of listeners) listener(change);
    };

    const machineOf = (arn: unknown): SimStateMachine => {
      const machine = typeof arn === 'string' ? machines.get(arn) : undefined;
      if (!machine) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
      return machine;
    };

    const finish = (started: SimExecution, outcome: ExecutionOutcome): void => {
      const stopDate = Date.now();
      const ended: SimExecution =
        outcome.status === 'SUCCEEDED'
          ? { ...started, status: 'SUCCEEDED', stopDate, output: outcome.output }
          : { ...started, status: outcome.status, stopDate, error: outcome.error, cause: outcome.cause };
      executions.set(started.executionArn, ended);
      running.delete(started.executionArn);
      emit({ type: 'stop', execution: ended });
    };

    const startExecution = (body: Record<string, unknown>, caller: string | null): unknown => {
      const machine = machineOf(body.stateMachineArn);
      // Step Functions names an unnamed execution with a UUID.
      const name = body.name === undefined ? randomUUID() : body.name;
      if (typeof name !== 'string' || !NAME.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${String(name)}'`);
      const inputText = body.input === undefined ? '{}' : body.input;
      let input: unknown;
      try {
        if (typeof inputText !== 'string') throw new Error('not a string');
        input = JSON.parse(inputText);
      } catch {
        throw new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${String(inputText)}'`);
      }
      const executionArn = `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        // Idempotent start: same name, same input, still running → the original answer.
        if (existing.status === 'RUNNING' && existing.inputText === inputText) return { executionArn, startDate: seconds(existing.startDate) };
        throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const started: SimExecution = {
        executionArn,
        stateMachineArn: machine.arn,
        name,
        status: 'RUNNING',
        startDate: Date.now(),
        inputText,
        input,
        startedBy: caller,
      };
      executions.set(executionArn, started);
      // Started after this call returns, so StartExecution answers at once, as it does in AWS.
      const done = Promise.resolve()
        .then(() => machine.run({ name, executionArn, input }))
        .then(
          (outcome) => finish(started, outcome),
          (error: unknown) => finish(started, { status: 'FAILED', ...errorParts(error) }),
        );
      running.set(executionArn, done);
      emit({ type: 'start', execution: started });
      return { executionArn, startDate: seconds(started.startDate) };
    };

    const describeExecution = (body: Record<string, unknown>): unknown => {
      const e = typeof body.executionArn === 'string' ? executions.get(body.executionArn) : undefined;
      if (!e) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
      return {
        ...summary(e),
        input: e.inputText,
        ...(e.status === 'SUCCEEDED' ? { output: JSON.stringify(e.output) ?? 'null' } : {}),
        ...(e.error === undefined ? {} : { error: e.error }),
        ...(e.cause === undefined ? {} : { cause: e.cause }),
      };
    };

    const listExecutions = (body: Record<string, unknown>): unknown => {
      const machine = machineOf(body.stateMachineArn);
      const filter = body.statusFilter;
      if (filter !== undefined && (typeof filter !== 'string' || !STATUSES.includes(filter))) {
        throw new AwsServiceError(
          'ValidationException',
          `1 validation error detected: Value '${String(filter)}' at 'statusFilter' failed to satisfy constraint`,
        );
      }
      // Step Functions lists the most recent first.
      const list = [...executions.values()].filter((e) => e.stateMachineArn === machine.arn && (filter === undefined || e.status === filter)).reverse();
      return { executions: list.map(summary) };
    };

    const server = await startAwsJsonServer({
      name: 'step-functions',
      targetPrefix: 'AWSStepFunctions',
      operations: {
        StartExecution: (body, call) => startExecution(body, call.caller),
        DescribeExecution: describeExecution,
        ListExecutions: listExecutions,
      },
      ...(options.host && { host: options.host }),
    });
    return {
      url: server.url,
      calls: server.calls,
      executions: () => [...executions.values()],
      async settled() {
        while (running.size > 0) await Promise.allSettled([...running.values()]);
      },
      on(listener) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
      stop: server.stop,
    };
  },
};
