/** SfnStarter: one execution per master per epoch, named `<master>-<epoch>`. */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { SfnStarter } from '../../lambdas/adapters/sfn-starter.ts';
import type { FailoverInput } from '../../lambdas/core/types.ts';

const sfn = mockClient(SFNClient);
const arn = 'arn:aws:states:eu-west-1:123456789012:stateMachine:redis-failover';

const input: FailoverInput = {
  master: { name: 'mymaster', host: '10.0.0.1', port: 6379 },
  epoch: 7,
  settings: { downAfterMs: 5000, failoverTimeoutMs: 180_000, parallelSyncs: 1, waitStartSeconds: 0 },
  replicas: [
    { host: '10.0.0.2', port: 6379 },
    { host: '10.0.0.3', port: 6379 },
  ],
  startedAt: 1_700_000_000_000,
  masterDownSince: 1_699_999_995_000,
  manual: false,
  resumePromoted: null,
};

function starter(): SfnStarter {
  return new SfnStarter({ stateMachineArn: arn, client: new SFNClient({ region: 'eu-west-1' }) });
}

beforeEach(() => {
  sfn.reset();
});
afterAll(() => {
  sfn.restore();
});

describe('SfnStarter', () => {
  it('starts the state machine with name <master>-<epoch> and the failover input as JSON', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${arn}:mymaster-7`, startDate: new Date() });
    await starter().start(input);

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]!.args[0].input;
    expect(sent.stateMachineArn).toBe(arn);
    expect(sent.name).toBe('mymaster-7');
    expect(JSON.parse(sent.input!)).toEqual(input);
  });

  it('a second start of the same epoch is a no-op: ExecutionAlreadyExists is swallowed', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolvesOnce({ executionArn: `${arn}:mymaster-7`, startDate: new Date() })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists: mymaster-7', $metadata: {} }));
    const s = starter();
    await s.start(input);
    await expect(s.start(input)).resolves.toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual(['mymaster-7', 'mymaster-7']);
  });

  it('recognises ExecutionAlreadyExists by name too (another copy of the SDK in the bundle)', async () => {
    const error = Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' });
    sfn.on(StartExecutionCommand).rejects(error);
    await expect(starter().start(input)).resolves.toBeUndefined();
  });

  it('other errors propagate', async () => {
    sfn.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));
    await expect(starter().start(input)).rejects.toThrow('State Machine Does Not Exist');

    sfn.reset();
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(starter().start(input)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('each epoch gets its own execution', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
    await starter().start(input);
    await starter().start({ ...input, epoch: 8 });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual(['mymaster-7', 'mymaster-8']);
  });
});
