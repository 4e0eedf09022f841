/**
 * GetExecutionHistory and the callback tasks' SendTask* calls of the Step Functions stand-in,
 * through the real `@aws-sdk/client-sfn`: the events of a running and of a finished execution
 * (from a runner's log the test writes, and from a small definition the workflow runner
 * executes), their order and pages; and SendTask* handed to the token holder, its refusals
 * reaching the client by name.
 */
import {
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent as SfnHistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../lambdas/core/wait.ts';
import type { StateMachineDefinition } from '../../../local/workflow-definition.ts';
import type { HistoryEvent } from '../../../local/workflow-executor.ts';
import { LambdaService } from '../../../sim/lambda/service.ts';
import { AwsServiceError } from '../../../sim/services/aws-json-server.ts';
import { StepFunctionsStandIn, type ExecutionOutcome, type SimStateMachine, type TaskCallbacks } from '../../../sim/services/step-functions.ts';
import { simulatedStateMachine } from '../../../sim/workflow.ts';
import { standInLifecycle } from '../../support/stand-ins.ts';

/** The history of the small definition below outside its Map's iterations, in order. */
const TOP_LEVEL = [
  'ExecutionStarted',
  'ChoiceStateEntered Check',
  'ChoiceStateExited Check',
  'MapStateEntered Each',
  'MapStateExited Each',
  'WaitStateEntered Settle',
  'WaitStateExited Settle',
  'SucceedStateEntered Done',
  'SucceedStateExited Done',
  'ExecutionSucceeded',
];

const MACHINE = 'arn:aws:states:local-1:123456789012:stateMachine:redis-failover';
const EXECUTIONS = 'arn:aws:states:local-1:123456789012:execution:redis-failover';

const DEFINITION: StateMachineDefinition = {
  StartAt: 'Check',
  States: {
    Check: { Type: 'Choice', Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Each' }], Default: 'Give up' },
    Each: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Promote', States: { Promote: { Type: 'Task', Resource: 'arn:x', End: true } } },
      Next: 'Settle',
    },
    Settle: { Type: 'Wait', Seconds: 0, Next: 'Done' },
    Done: { Type: 'Succeed' },
    'Give up': { Type: 'Fail', Error: 'NoGoodSlave', Cause: 'none' },
  },
};

/** A runner the test drives: it writes each execution's log by hand, and ends it with finish(). */
function scriptedMachine(): SimStateMachine & {
  log(name: string, type: string, state: string | null, index?: number): void;
  finish(name: string, o: ExecutionOutcome): void;
} {
  const logs = new Map<string, HistoryEvent[]>();
  const pending = new Map<string, (o: ExecutionOutcome) => void>();
  return {
    arn: MACHINE,
    definition: DEFINITION,
    run: ({ name }) => new Promise<ExecutionOutcome>((resolve) => pending.set(name, resolve)),
    history: (name) => logs.get(name),
    log(name, type, state, index) {
      if (!logs.has(name)) logs.set(name, []);
      logs.get(name)!.push({ type, state, index: index ?? null, at: Date.now(), error: null });
    },
    finish: (name, outcome) => pending.get(name)!(outcome),
  };
}

const lifecycle = standInLifecycle();

async function standIn(machines: SimStateMachine[], callbacks?: TaskCallbacks): Promise<{ s: StepFunctionsStandIn; sfn: SFNClient }> {
  const s = await lifecycle.start(StepFunctionsStandIn.start({ stateMachines: machines, ...(callbacks && { callbacks }) }));
  return { s, sfn: lifecycle.client(SFNClient, s.url) };
}

/** Every page, followed by nextToken; the page sizes too. */
async function allPages(sfn: SFNClient, input: GetExecutionHistoryCommandInput): Promise<{ events: SfnHistoryEvent[]; pages: number[] }> {
  const events: SfnHistoryEvent[] = [];
  const pages: number[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ ...input, nextToken }));
    events.push(...(page.events ?? []));
    pages.push(page.events?.length ?? 0);
    nextToken = page.nextToken;
  } while (nextToken);
  return { events, pages };
}

/** `type name` of each event (name for the state events). */
const lines = (events: readonly SfnHistoryEvent[]): string[] =>
  events.map((e) => [e.type, e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name].filter(Boolean).join(' '));

describe('GetExecutionHistory', () => {
  it('lists a running execution’s events so far, then its end; state types from the definition', async () => {
    const machine = scriptedMachine();
    const { sfn } = await standIn([machine]);
    const before = Date.now();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'mymaster-1', input: '{"go":true}' }));
    machine.log('mymaster-1', 'ExecutionStarted', null);
    machine.log('mymaster-1', 'StateEntered', 'Check');
    machine.log('mymaster-1', 'StateExited', 'Check');
    machine.log('mymaster-1', 'StateEntered', 'Each');
    machine.log('mymaster-1', 'MapIterationStarted', null, 0); // no state of its own: left out
    machine.log('mymaster-1', 'StateEntered', 'Promote', 0);

    const running = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(lines(running.events ?? [])).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered Check',
      'ChoiceStateExited Check',
      'MapStateEntered Each',
      'TaskStateEntered Promote',
    ]);
    expect(running.nextToken).toBeUndefined();
    expect(running.events?.map((e) => [e.id, e.previousEventId])).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 4],
    ]);
    const start = running.events?.[0];
    expect(start?.executionStartedEventDetails).toMatchObject({ input: '{"go":true}' });
    expect(start?.timestamp).toBeInstanceOf(Date);
    expect(Math.abs((start?.timestamp?.getTime() ?? 0) - before)).toBeLessThan(5000);

    machine.log('mymaster-1', 'StateFailed', 'Promote', 0); // AWS says TaskFailed; the stand-in keeps to entered/exited
    machine.finish('mymaster-1', { status: 'FAILED', error: 'Lambda.Unknown', cause: 'the function timed out' });
    const ended = await waitFor(
      async () => {
        const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
        return out.events?.at(-1)?.type === 'ExecutionFailed' && out.events;
      },
      { timeoutMs: 5000, intervalMs: 5, what: 'ExecutionFailed in the history' },
    );
    expect(ended).toHaveLength(6);
    expect(ended[5]).toMatchObject({ id: 6, previousEventId: 5, executionFailedEventDetails: { error: 'Lambda.Unknown', cause: 'the function timed out' } });
    expect(ended[5]?.timestamp?.getTime()).toBeGreaterThanOrEqual(ended[0]?.timestamp?.getTime() ?? Infinity);
  });

  it('pages by maxResults and nextToken, forwards and in reverse', async () => {
    const machine = scriptedMachine();
    const { sfn } = await standIn([machine]);
    const executionArn = `${EXECUTIONS}:mymaster-2`;
    await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'mymaster-2' }));
    for (const state of ['Check', 'Each', 'Settle', 'Done']) {
      machine.log('mymaster-2', 'StateEntered', state);
      machine.log('mymaster-2', 'StateExited', state);
    }
    machine.finish('mymaster-2', { status: 'SUCCEEDED', output: { newMaster: '10.0.0.2:6379' } });
    await waitFor(
      async () => (await sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }))).events?.[0]?.type === 'ExecutionSucceeded',
      {
        timeoutMs: 5000,
        intervalMs: 5,
        what: 'the execution to end',
      },
    );

    const whole = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(lines(whole.events ?? [])).toEqual(TOP_LEVEL);
    expect(whole.events?.at(-1)?.executionSucceededEventDetails).toMatchObject({ output: '{"newMaster":"10.0.0.2:6379"}' });

    const forward = await allPages(sfn, { executionArn, maxResults: 3 });
    expect(forward.pages).toEqual([3, 3, 3, 1]);
    expect(forward.events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const backward = await allPages(sfn, { executionArn, maxResults: 4, reverseOrder: true });
    expect(backward.pages).toEqual([4, 4, 2]);
    expect(backward.events.map((e) => e.id)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

    const first = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    // A token is for the order it was given in, and for its execution only.
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: first.nextToken, reverseOrder: true }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 }))).rejects.toMatchObject({ name: 'ValidationException' });
    const bare = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false, maxResults: 1 }));
    expect(bare.events?.[0]?.executionStartedEventDetails?.input).toBeUndefined();
  });

  it('ExecutionDoesNotExist for an unknown execution; start and end only for a runner that keeps no log', async () => {
    const quiet: SimStateMachine = { arn: MACHINE, run: async () => ({ status: 'ABORTED', error: 'States.Aborted', cause: 'stopped' }) };
    const { s, sfn } = await standIn([quiet]);
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn: `${EXECUTIONS}:never` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${EXECUTIONS}:never'`,
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'quiet' }));
    await s.settled();
    const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(lines(out.events ?? [])).toEqual(['ExecutionStarted', 'ExecutionAborted']);
    expect(out.events?.[1]?.executionAbortedEventDetails).toEqual({ error: 'States.Aborted', cause: 'stopped' });
  });

  describe('of an execution the workflow runner runs', () => {
    // No function is ever invoked: the Task is the one the test's definition swaps for a Pass.
    let lambda: LambdaService;
    beforeAll(() => {
      lambda = new LambdaService([], { environment: () => ({}) });
    });
    afterAll(() => lambda.stop());

    it('names every state the runner entered and left, Map iterations included', async () => {
      const each = DEFINITION.States['Each']!;
      const definition: StateMachineDefinition = {
        ...DEFINITION,
        States: { ...DEFINITION.States, Each: { ...each, ItemProcessor: { StartAt: 'Promote', States: { Promote: { Type: 'Pass', End: true } } } } },
      };
      const machine = simulatedStateMachine({ logicalId: 'Workflow', name: 'redis-failover', arn: MACHINE, definition }, lambda);
      const { s, sfn } = await standIn([machine]);
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'real', input: '{"go":true,"items":[1,2]}' }));
      await s.settled();
      expect(machine.history('real')).toBe(machine.results.get('real')?.history);
      const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      const got = lines(out.events ?? []);
      expect(got[0]).toBe('ExecutionStarted');
      expect(got.at(-1)).toBe('ExecutionSucceeded');
      // The iterations run concurrently: their events interleave, so compared as a multiset.
      expect(got.filter((l) => l.endsWith(' Promote')).sort()).toEqual([
        'PassStateEntered Promote',
        'PassStateEntered Promote',
        'PassStateExited Promote',
        'PassStateExited Promote',
      ]);
      expect(got.filter((l) => !l.endsWith(' Promote'))).toEqual(TOP_LEVEL);
      const times = (out.events ?? []).map((e) => e.timestamp?.getTime() ?? 0);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });
  });
});

describe('SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat', () => {
  /** Holds the tokens 'live' and 'late' (timed out); any other is gone. */
  function holder(): TaskCallbacks & { seen: unknown[][] } {
    const seen: unknown[][] = [];
    const check = (token: string): void => {
      if (token === 'late') throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
      if (token !== 'live') throw new AwsServiceError('TaskDoesNotExist', 'Task Does Not Exist');
    };
    return {
      seen,
      succeed(token, output) {
        check(token);
        seen.push(['succeed', token, output]);
      },
      fail(token, error, cause) {
        check(token);
        seen.push(['fail', token, error, cause]);
      },
      heartbeat(token) {
        check(token);
        seen.push(['heartbeat', token]);
      },
    };
  }

  it('hands each call to the token holder, and answers {}', async () => {
    const callbacks = holder();
    const { s, sfn } = await standIn([], callbacks);
    const success = await sfn.send(new SendTaskSuccessCommand({ taskToken: 'live', output: '{"approved":true}' }));
    expect(success.$metadata.httpStatusCode).toBe(200);
    await sfn.send(new SendTaskFailureCommand({ taskToken: 'live', error: 'Rejected', cause: 'an operator said no' }));
    await sfn.send(new SendTaskFailureCommand({ taskToken: 'live' }));
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'live' }));
    expect(callbacks.seen).toEqual([
      ['succeed', 'live', { approved: true }],
      ['fail', 'live', 'Rejected', 'an operator said no'],
      ['fail', 'live', '', ''],
      ['heartbeat', 'live'],
    ]);
    expect(s.calls.map((c) => c.operation)).toEqual(['SendTaskSuccess', 'SendTaskFailure', 'SendTaskFailure', 'SendTaskHeartbeat']);
  });

  it('the holder’s refusals reach the client by name; bad output and a missing token are refused before it', async () => {
    const callbacks = holder();
    const { sfn } = await standIn([], callbacks);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'gone', output: '{}' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: 'late', error: 'E' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
      message: 'Task Timed Out',
    });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'late' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'live', output: '{not json' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: '' }))).rejects.toMatchObject({ name: 'InvalidToken' });
    expect(callbacks.seen).toEqual([]);
  });

  it('without a token holder every token is TaskDoesNotExist', async () => {
    const { sfn } = await standIn([]);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'live', output: '{}' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: 'live' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    await expect(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'live' }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });
});
