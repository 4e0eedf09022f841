/**
 * The HTTP face of Step Functions for the simulation: StartExecution, DescribeExecution,
 * ListExecutions and GetExecutionHistory as the SFN client sees them (idempotent start by name,
 * the error codes the functions handle), over executions that someone else runs (the simulator's
 * workflow runner), so the functions that start and watch failovers run unchanged; and the
 * callback tasks' SendTask* calls, handed to whoever holds the tokens.
 */
import { randomUUID } from 'node:crypto';
import type { StateMachineDefinition } from '../../local/workflow-definition.ts';
import { stateTypesOf, type HistoryEvent } from '../../local/workflow-executor.ts';
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
  /** The runner's log of an execution (growing while it runs), for GetExecutionHistory. @default - only start and end */
  history?(name: string): readonly HistoryEvent[] | undefined;
  /** The definition, for the Type of each state a history line names. @default - every state a Task */
  readonly definition?: StateMachineDefinition;
}

/** Who holds the callback tasks' tokens (the workflow runner): each call throws AwsServiceError('TaskDoesNotExist' | 'InvalidToken' | 'TaskTimedOut', …) as Step Functions answers. */
export interface TaskCallbacks {
  succeed(token: string, output: unknown): void;
  fail(token: string, error: string, cause: string): void;
  heartbeat(token: string): void;
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
  /** SendTaskSuccess/Failure/Heartbeat go here. @default - none: every token is TaskDoesNotExist */
  readonly callbacks?: TaskCallbacks;
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

/** A history event before its id: the AWS type, epoch ms, and its details field. */
type Event = { readonly type: string; readonly at: number; readonly details: Record<string, unknown> };

/**
 * The execution's events as GetExecutionHistory lists them. Start and end are the stand-in's own
 * (so the history agrees with DescribeExecution); between them each state entered and exited, by
 * the runner's log, iterations of a Map included. Failed, retried and caught lines are left out.
 */
function historyOf(e: SimExecution, machine: SimStateMachine, types: ReadonlyMap<string, string>, withData: boolean): Event[] {
  const data = (field: string, value: string): Record<string, unknown> => (withData ? { [field]: value, [`${field}Details`]: { truncated: false } } : {});
  const events: Event[] = [{ type: 'ExecutionStarted', at: e.startDate, details: { executionStartedEventDetails: data('input', e.inputText) } }];
  for (const line of machine.history?.(e.name) ?? []) {
    if (line.state === null || (line.type !== 'StateEntered' && line.type !== 'StateExited')) continue;
    const [suffix, field] = line.type === 'StateEntered' ? ['Entered', 'stateEnteredEventDetails'] : ['Exited', 'stateExitedEventDetails'];
    events.push({ type: `${types.get(line.state) ?? 'Task'}State${suffix}`, at: line.at, details: { [field]: { name: line.state } } });
  }
  if (e.status === 'RUNNING' || e.stopDate === undefined) return events;
  const failure = { error: e.error ?? '', cause: e.cause ?? '' };
  const end: Record<ExecutionOutcome['status'], [string, string, Record<string, unknown>]> = {
    SUCCEEDED: ['ExecutionSucceeded', 'executionSucceededEventDetails', data('output', JSON.stringify(e.output) ?? 'null')],
    FAILED: ['ExecutionFailed', 'executionFailedEventDetails', failure],
    ABORTED: ['ExecutionAborted', 'executionAbortedEventDetails', failure],
    TIMED_OUT: ['ExecutionTimedOut', 'executionTimedOutEventDetails', failure],
  };
  const [type, field, details] = end[e.status];
  events.push({ type, at: e.stopDate, details: { [field]: details } });
  return events;
}

function errorParts(error: unknown): { error: string; cause: string } {
  return error instanceof Error ? { error: error.name, cause: error.message } : { error: 'Error', cause: String(error) };
}

interface HistoryToken {
  readonly executionArn: string;
  readonly id: number;
  readonly reverse: boolean;
}

function encodeToken(token: HistoryToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(text: unknown): HistoryToken | null {
  try {
    const t = JSON.parse(Buffer.from(String(text), 'base64url').toString('utf8')) as Partial<HistoryToken> | null;
    return typeof t?.executionArn === 'string' && typeof t.id === 'number' && typeof t.reverse === 'boolean' ? (t as HistoryToken) : null;
  } catch {
    return null;
  }
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

    const types = new Map([...machines.values()].map((m) => [m.arn, stateTypesOf(m.definition)]));
    const getExecutionHistory = (body: Record<string, unknown>): unknown => {
      const e = typeof body.executionArn === 'string' ? executions.get(body.executionArn) : undefined;
      if (!e) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(body.executionArn)}'`);
      const max = body.maxResults ?? 0;
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000) {
        throw new AwsServiceError('ValidationException', `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint`);
      }
      const reverse = body.reverseOrder === true;
      const all = historyOf(e, machineOf(e.stateMachineArn), types.get(e.stateMachineArn)!, body.includeExecutionData !== false).map((ev, i) => ({
        id: i + 1,
        previousEventId: i,
        timestamp: seconds(ev.at),
        type: ev.type,
        ...ev.details,
      }));
      if (reverse) all.reverse();
      // The token names the next event's id (stable, since a history only grows at its end), for this execution and order.
      let from = 0;
      if (body.nextToken !== undefined) {
        const token = decodeToken(body.nextToken);
        const at = token?.executionArn === e.executionArn && token.reverse === reverse ? all.findIndex((ev) => ev.id === token.id) : -1;
        if (at < 0) throw new AwsServiceError('InvalidToken', `Invalid Token: '${String(body.nextToken)}'`);
        from = at;
      }
      const page = all.slice(from, from + (max || 1000));
      const next = all[from + page.length];
      return { events: page, ...(next && { nextToken: encodeToken({ executionArn: e.executionArn, id: next.id, reverse }) }) };
    };

    /** The token a SendTask* call names; the callbacks say whether it is one. */
    const tokenOf = (body: Record<string, unknown>): string => {
      if (typeof body.taskToken !== 'string' || body.taskToken === '') throw new AwsServiceError('InvalidToken', 'Invalid Token: the task token is missing');
      return body.taskToken;
    };
    const callbacks = (): TaskCallbacks => {
      if (!options.callbacks) throw new AwsServiceError('TaskDoesNotExist', 'Task Does Not Exist');
      return options.callbacks;
    };
    const sendTaskSuccess = (body: Record<string, unknown>): unknown => {
      const token = tokenOf(body);
      let output: unknown;
      try {
        if (typeof body.output !== 'string') throw new Error('not a string');
        output = JSON.parse(body.output);
      } catch {
        throw new AwsServiceError('InvalidOutput', `Invalid Output: '${String(body.output)}'`);
      }
      callbacks().succeed(token, output);
      return {};
    };
    const sendTaskFailure = (body: Record<string, unknown>): unknown => {
      const token = tokenOf(body);
      const text = (value: unknown): string => (typeof value === 'string' ? value : '');
      callbacks().fail(token, text(body.error), text(body.cause));
      return {};
    };
    const sendTaskHeartbeat = (body: Record<string, unknown>): unknown => {
      callbacks().heartbeat(tokenOf(body));
      return {};
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
        GetExecutionHistory: getExecutionHistory,
        SendTaskSuccess: sendTaskSuccess,
        SendTaskFailure: sendTaskFailure,
        SendTaskHeartbeat: sendTaskHeartbeat,
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
