import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { SfnStarter } from '../../../lambdas/adapters/sfn-starter.ts';
import { isPortFree } from '../../../local/ports.ts';
import { StepFunctionsStandIn } from '../../../sim/services/step-functions.ts';
import type { ExecutionChange, ExecutionOutcome, SimStateMachine } from '../../../sim/services/step-functions.ts';
import { standInLifecycle } from '../../support/stand-ins.ts';

const MACHINE = 'arn:aws:states:local-1:123456789012:stateMachine:redis-failover';
const EXECUTIONS = 'arn:aws:states:local-1:123456789012:execution:redis-failover';

/** A run the test ends by hand: each execution waits for finish(name, outcome). */
function controlledMachine(arn = MACHINE): SimStateMachine & { finish(name: string, outcome: ExecutionOutcome | Error): void; inputs: Map<string, unknown> } {
  const pending = new Map<string, { resolve: (o: ExecutionOutcome) => void; reject: (e: Error) => void }>();
  const inputs = new Map<string, unknown>();
  return {
    arn,
    inputs,
    run({ name, input }) {
      inputs.set(name, input);
      return new Promise<ExecutionOutcome>((resolve, reject) => pending.set(name, { resolve, reject }));
    },
    finish(name, outcome) {
      const p = pending.get(name);
      if (!p) throw new Error(`no run ${name}`);
      if (outcome instanceof Error) p.reject(outcome);
      else p.resolve(outcome);
    },
  };
}

/** Polls `condition` until true, failing after a deadline. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const lifecycle = standInLifecycle();

function standIn(machines: SimStateMachine[]): Promise<StepFunctionsStandIn> {
  return lifecycle.start(StepFunctionsStandIn.start({ stateMachines: machines }));
}

function client(s: StepFunctionsStandIn, accessKeyId = 'AKIDPROBE1'): SFNClient {
  return lifecycle.client(SFNClient, s.url, accessKeyId);
}

describe('StepFunctionsStandIn', () => {
  it('starts an execution, reports it RUNNING, then SUCCEEDED with its output', async () => {
    const machine = controlledMachine();
    const s = await standIn([machine]);
    const changes: ExecutionChange[] = [];
    s.on((c) => changes.push(c));
    const before = Date.now();
    const out = await client(s).send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'mymaster-1', input: '{"epoch":1}' }));
    expect(out.executionArn).toBe(`${EXECUTIONS}:mymaster-1`);
    expect(out.startDate).toBeInstanceOf(Date);
    expect(Math.abs((out.startDate?.getTime() ?? 0) - before)).toBeLessThan(5000);

    const running = await client(s).send(new DescribeExecutionCommand({ executionArn: out.executionArn }));
    expect(running).toMatchObject({ executionArn: out.executionArn, stateMachineArn: MACHINE, name: 'mymaster-1', status: 'RUNNING', input: '{"epoch":1}' });
    expect(running.stopDate).toBeUndefined();
    expect(running.startDate?.getTime()).toBe(out.startDate?.getTime()); // fractions of a second survive
    expect(machine.inputs.get('mymaster-1')).toEqual({ epoch: 1 });

    machine.finish('mymaster-1', { status: 'SUCCEEDED', output: { newMaster: '10.0.0.2:6379' } });
    await s.settled();
    const done = await client(s).send(new DescribeExecutionCommand({ executionArn: out.executionArn }));
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: '{"newMaster":"10.0.0.2:6379"}' });
    expect(done.stopDate?.getTime()).toBeGreaterThanOrEqual(done.startDate?.getTime() ?? Infinity);
    expect(changes.map((c) => [c.type, c.execution.status])).toEqual([
      ['start', 'RUNNING'],
      ['stop', 'SUCCEEDED'],
    ]);
    expect(s.executions()).toMatchObject([
      { name: 'mymaster-1', status: 'SUCCEEDED', input: { epoch: 1 }, output: { newMaster: '10.0.0.2:6379' }, startedBy: 'AKIDPROBE1' },
    ]);
    expect(s.calls.map((c) => c.operation)).toEqual(['StartExecution', 'DescribeExecution', 'DescribeExecution']);
  });

  it('is idempotent for the same name and input while running, ExecutionAlreadyExists otherwise', async () => {
    const machine = controlledMachine();
    const s = await standIn([machine]);
    const start = (input: string, key = 'AKIDPROBE1') =>
      client(s, key).send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'mymaster-2', input }));
    const first = await start('{"epoch":2}');
    const again = await start('{"epoch":2}', 'AKIDPROBE2');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    expect(s.executions()).toHaveLength(1);

    await expect(start('{"epoch":3}')).rejects.toMatchObject({
      name: 'ExecutionAlreadyExists',
      message: `Execution Already Exists: '${EXECUTIONS}:mymaster-2'`,
    });
    machine.finish('mymaster-2', { status: 'SUCCEEDED', output: null });
    await s.settled();
    await expect(start('{"epoch":2}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('the project SfnStarter takes ExecutionAlreadyExists as started, and reads the status', async () => {
    const machine = controlledMachine();
    const s = await standIn([machine]);
    const starter = new SfnStarter({ stateMachineArn: MACHINE, client: client(s) });
    expect(await starter.status('mymaster-5')).toBe('unknown');
    await client(s).send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'mymaster-5', input: '{}' }));
    expect(await starter.status('mymaster-5')).toBe('running');
    machine.finish('mymaster-5', { status: 'ABORTED', error: 'States.Aborted', cause: 'stopped' });
    await s.settled();
    expect(await starter.status('mymaster-5')).toBe('finished');
  });

  it('ends FAILED / TIMED_OUT with error and cause; a throwing run is FAILED with the error name and message', async () => {
    const machine = controlledMachine();
    const s = await standIn([machine]);
    const sfn = client(s);
    for (const name of ['a', 'b', 'c']) await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name }));
    machine.finish('a', { status: 'FAILED', error: 'NoGoodSlave', cause: 'no replica can be promoted' });
    machine.finish('b', { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'failover-timeout' });
    machine.finish('c', new RangeError('epoch out of range'));
    await s.settled();
    const describe = (name: string) => sfn.send(new DescribeExecutionCommand({ executionArn: `${EXECUTIONS}:${name}` }));
    expect(await describe('a')).toMatchObject({ status: 'FAILED', error: 'NoGoodSlave', cause: 'no replica can be promoted', input: '{}' });
    expect(await describe('b')).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout', cause: 'failover-timeout' });
    const c = await describe('c');
    expect(c).toMatchObject({ status: 'FAILED', error: 'RangeError', cause: 'epoch out of range' });
    expect(c.output).toBeUndefined();
  });

  it('refuses with the error codes Step Functions uses', async () => {
    const s = await standIn([controlledMachine()]);
    const sfn = client(s);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: `${MACHINE}-nope`, name: 'x' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${MACHINE}-nope'`,
    });
    for (const name of ['', 'has space', 'a'.repeat(81), 'colon:no', 'ünicode']) {
      await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name }))).rejects.toMatchObject({ name: 'InvalidName' });
    }
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'ok', input: '{not json' }))).rejects.toMatchObject({
      name: 'InvalidExecutionInput',
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${EXECUTIONS}:never` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${EXECUTIONS}:never'`,
    });
    await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn: `${MACHINE}-nope` }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    expect(s.executions()).toEqual([]);
  });

  it('lists executions, most recent first, filtered by status and machine', async () => {
    const machine = controlledMachine();
    const other = controlledMachine(`${MACHINE}-other`);
    const s = await standIn([machine, other]);
    const sfn = client(s);
    for (const name of ['e1', 'e2', 'e3']) await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name, input: '{}' }));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: other.arn, name: 'e1' }));
    machine.finish('e2', { status: 'SUCCEEDED', output: 1 });
    const list = async (statusFilter?: 'RUNNING' | 'SUCCEEDED') =>
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: MACHINE, statusFilter }))).executions?.map((e) => `${e.name}:${e.status}`);
    await until(() => s.executions()[1]?.status === 'SUCCEEDED'); // e2's stop is a few promise callbacks away
    expect(await list()).toEqual(['e3:RUNNING', 'e2:SUCCEEDED', 'e1:RUNNING']);
    expect(await list('RUNNING')).toEqual(['e3:RUNNING', 'e1:RUNNING']);
    expect(await list('SUCCEEDED')).toEqual(['e2:SUCCEEDED']);
    for (const name of ['e1', 'e3']) machine.finish(name, { status: 'SUCCEEDED', output: null });
    other.finish('e1', { status: 'SUCCEEDED', output: null });
    await s.settled();
    expect(s.executions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('settled() also waits for executions started while it waits', async () => {
    const machine = controlledMachine();
    const s = await standIn([machine]);
    const sfn = client(s);
    await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'first' }));
    let done = false;
    const settled = s.settled().then(() => (done = true));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'second' }));
    machine.finish('first', { status: 'SUCCEEDED', output: null });
    await until(() => s.executions()[0]?.status === 'SUCCEEDED');
    await new Promise((resolve) => setImmediate(resolve)); // every pending promise callback has run
    expect(done).toBe(false);
    machine.finish('second', { status: 'SUCCEEDED', output: null });
    await settled;
    expect(done).toBe(true);
  });

  it('stop() frees the port', async () => {
    const s = await StepFunctionsStandIn.start({ stateMachines: [] });
    const port = Number(new URL(s.url).port);
    await expect(client(s).send(new DescribeExecutionCommand({ executionArn: `${EXECUTIONS}:x` }))).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    expect(await isPortFree(port)).toBe(false);
    await s.stop();
    expect(await isPortFree(port)).toBe(true);
  });
});
