/** The FailoverWorkflow construct alone (FailoverWorkflowStack, what the local runner synthesizes): functions, grants, definition. */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { RedisFailoverStack } from '../../lib/failover-stack.ts';
import { FailoverWorkflow } from '../../lib/failover-workflow.ts';
import { STEP_ACCESS, STEP_KEYS, type StepKey } from '../../lib/steps.ts';
import { FailoverWorkflowStack } from '../../lib/workflow-stack.ts';
import {
  definitionFromTemplate,
  taskStates,
  type CloudFormationTemplate,
  type StateDefinition,
  type StateMachineDefinition,
} from '../../local/workflow-definition.ts';
import { withoutExecutionTimeout } from './support.ts';

const fakeArn = (step: StepKey) => `arn:aws:lambda:eu-test-1:111122223333:function:${step}`;

let stack: FailoverWorkflowStack;
let template: Template;
let json: CloudFormationTemplate & { Outputs?: Record<string, { Value: unknown }> };
let definition: StateMachineDefinition;
/** Logical id of each step's function in the template. */
const functionIds = new Map<StepKey, string>();

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new FailoverWorkflowStack(app, 'Test');
  template = Template.fromStack(stack);
  json = template.toJSON() as typeof json;
  const arns = new Map<string, string>();
  for (const step of STEP_KEYS) {
    const fn = stack.workflow.functions[step];
    const id = Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnFunction);
    functionIds.set(step, id);
    arns.set(id, fakeArn(step));
  }
  definition = definitionFromTemplate(json, arns);
});

function state(name: string, machine: StateMachineDefinition = definition): StateDefinition {
  const found = machine.States[name];
  if (!found) throw new Error(`no state ${name}`);
  return found;
}

function resourcesOfType(type: string): Array<[string, { Type: string; Properties?: Record<string, unknown> }]> {
  return Object.entries(json.Resources).filter(([, r]) => r.Type === type);
}

/** Every state, nested machines included. */
function allStates(machine: StateMachineDefinition): Array<[string, StateDefinition]> {
  return Object.entries(machine.States).flatMap(([name, s]) => [
    [name, s] as [string, StateDefinition],
    ...(s.ItemProcessor ? allStates(s.ItemProcessor) : []),
    ...(s.Iterator ? allStates(s.Iterator) : []),
    ...(s.Branches ?? []).flatMap(allStates),
  ]);
}

describe('Lambda functions', () => {
  it('has one function per step, eight in all', () => {
    template.resourceCountIs('AWS::Lambda::Function', 8);
    expect(STEP_KEYS).toHaveLength(8);
    expect(new Set(functionIds.values()).size).toBe(8);
    for (const id of functionIds.values()) expect(json.Resources[id]?.Type).toBe('AWS::Lambda::Function');
  });

  it('names each function after its step', () => {
    expect(Object.fromEntries([...functionIds].map(([step, id]) => [step, id.replace(/[0-9A-F]{8}$/, '')]))).toEqual({
      announce: 'FailoverAnnounceFunction',
      abortFailover: 'FailoverAbortFailoverFunction',
      selectSlave: 'FailoverSelectSlaveFunction',
      sendSlaveofNoOne: 'FailoverSendSlaveofNoOneFunction',
      waitPromotion: 'FailoverWaitPromotionFunction',
      reconfSlave: 'FailoverReconfSlaveFunction',
      failoverEnd: 'FailoverFailoverEndFunction',
      switchMaster: 'FailoverSwitchMasterFunction',
    });
  });

  it('runs every function on nodejs24.x (the latest), arm64, with the bus name in EVENT_BUS_NAME', () => {
    const bus = resourcesOfType('AWS::Events::EventBus');
    expect(bus).toHaveLength(1);
    const busId = bus[0]![0];
    const functions = resourcesOfType('AWS::Lambda::Function');
    expect(functions).toHaveLength(8);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 60,
        Handler: 'index.handler',
        Environment: { Variables: { EVENT_BUS_NAME: { Ref: busId }, NODE_OPTIONS: '--enable-source-maps' } },
      });
      // No table given: no step is told of one.
      expect(Object.keys((fn.Properties!.Environment as { Variables: object }).Variables).sort()).toEqual(['EVENT_BUS_NAME', 'NODE_OPTIONS']);
    }
  });

  it('gives each function its own role, allowed to write its own log group only (no AWS managed policy)', () => {
    const roles = new Set<string>();
    for (const step of STEP_KEYS) {
      const fn = json.Resources[functionIds.get(step)!]!.Properties!;
      const roleId = (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const logGroupId = (fn.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      roles.add(roleId);
      expect(json.Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
      const role = json.Resources[roleId]!.Properties!;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.Policies).toEqual([
        {
          PolicyName: 'Execution',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } }],
          },
        },
      ]);
    }
    expect(roles.size).toBe(8);
  });

  it('names the bus redis-failover by default', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'redis-failover' });
  });

  it('lets every function, and only its own role, put events on the bus', () => {
    const busId = resourcesOfType('AWS::Events::EventBus')[0]![0];
    const policies = resourcesOfType('AWS::IAM::Policy');
    for (const step of STEP_KEYS) {
      const fn = json.Resources[functionIds.get(step)!]!;
      const role = (fn.Properties!.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
      expect(role[1]).toBe('Arn');
      const granting = policies.filter(([, p]) => {
        const props = p.Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> }; Roles: unknown[] };
        const forRole = props.Roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: role[0] }));
        const puts = props.PolicyDocument.Statement.some(
          (s) => s.Effect === 'Allow' && s.Action === 'events:PutEvents' && JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [busId, 'Arn'] }),
        );
        return forRole && puts;
      });
      expect(granting, step).toHaveLength(1);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } })]),
      },
    });
  });

  it('lets the state machine invoke every function', () => {
    const machine = resourcesOfType('AWS::StepFunctions::StateMachine')[0]![1];
    const roleId = (machine.Properties!.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const policy = resourcesOfType('AWS::IAM::Policy').find(([, p]) => JSON.stringify(p.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]));
    expect(policy).toBeDefined();
    const text = JSON.stringify(policy![1].Properties?.PolicyDocument);
    expect(text).toContain('lambda:InvokeFunction');
    for (const id of functionIds.values()) expect(text).toContain(JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }));
  });
});

describe('state machine', () => {
  it('is one STANDARD state machine', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
  });

  it('starts with FailoverTriggered', () => {
    expect(definition.StartAt).toBe('FailoverTriggered');
  });

  it('has every phase as a state, of the right type', () => {
    const types = Object.fromEntries(Object.entries(definition.States).map(([name, s]) => [name, s.Type]));
    expect(types).toEqual({
      FailoverTriggered: 'Task',
      WaitStart: 'Wait',
      SelectSlave: 'Task',
      'SlaveSelected?': 'Choice',
      SendSlaveofNoOne: 'Task',
      'SlaveofNoOneSent?': 'Choice',
      WaitPromotion: 'Task',
      'PromotionConfirmed?': 'Choice',
      Reconfigure: 'Parallel',
      FailoverEnd: 'Task',
      SwitchMaster: 'Task',
      FailoverSucceeded: 'Succeed',
      AbortNoGoodSlave: 'Task',
      NoGoodSlave: 'Fail',
      AbortSlaveTimeout: 'Task',
      SlaveTimeout: 'Fail',
      RequestApproval: 'Task',
      FailoverApproved: 'Task',
      'OnApprovalTimeout?': 'Choice',
      ApprovalTimedOut: 'Task',
      AbortApprovalTimeout: 'Task',
      ApprovalTimeout: 'Fail',
      AbortVetoed: 'Task',
      Vetoed: 'Fail',
    });
  });

  it('announces the trigger, then waits waitStartSeconds before selecting', () => {
    expect(state('FailoverTriggered')).toMatchObject({
      Resource: fakeArn('announce'),
      Parameters: { events: ['+failover-triggered', '+failover-state-wait-start'], 'master.$': '$.master', 'epoch.$': '$.epoch' },
      ResultPath: null,
      Next: 'WaitStart',
    });
    expect(state('WaitStart')).toEqual({ Type: 'Wait', SecondsPath: '$.settings.waitStartSeconds', Next: 'SelectSlave' });
  });

  it('keeps each step’s result under its own key', () => {
    const resultPaths = Object.fromEntries(
      Object.entries(definition.States)
        .filter(([, s]) => s.Type === 'Task' || s.Type === 'Parallel')
        .map(([name, s]) => [name, s.ResultPath]),
    );
    expect(resultPaths).toEqual({
      FailoverTriggered: null,
      SelectSlave: '$.selection',
      SendSlaveofNoOne: '$.promotion',
      WaitPromotion: '$.promotion',
      Reconfigure: '$.reconf',
      FailoverEnd: '$.end',
      SwitchMaster: '$.switched',
      AbortNoGoodSlave: null,
      AbortSlaveTimeout: null,
      RequestApproval: '$.approval',
      FailoverApproved: null,
      ApprovalTimedOut: null,
      AbortApprovalTimeout: null,
      AbortVetoed: null,
    });
  });

  it('demotes the old master beside the replicas, which a Map reconfigures parallelSyncs at a time', () => {
    const reconfigure = state('Reconfigure');
    expect(reconfigure).toMatchObject({
      Type: 'Parallel',
      ResultSelector: { 'oldMaster.$': '$[0]', 'replicas.$': '$[1]' },
      ResultPath: '$.reconf',
      Next: 'FailoverEnd',
    });
    const [oldMasterBranch, replicasBranch] = reconfigure.Branches as [StateMachineDefinition, StateMachineDefinition];
    expect(oldMasterBranch.StartAt).toBe('DemoteOldMaster');
    expect(state('DemoteOldMaster', oldMasterBranch)).toMatchObject({
      Type: 'Task',
      Resource: fakeArn('reconfSlave'),
      Parameters: {
        target: { 'host.$': '$.master.host', 'port.$': '$.master.port', role: 'old-master' },
        'master.$': '$.master',
        'promoted.$': '$.selection.promoted',
        phase: 'pending',
      },
      End: true,
    });
    expect(replicasBranch.StartAt).toBe('ReconfSlaves');
    const map = state('ReconfSlaves', replicasBranch);
    expect(map).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.selection.others',
      MaxConcurrencyPath: '$.settings.parallelSyncs',
      ItemSelector: {
        'target.$': '$$.Map.Item.Value',
        'master.$': '$.master',
        'promoted.$': '$.selection.promoted',
        'settings.$': '$.settings',
        'epoch.$': '$.epoch',
        'reconfStartedAt.$': '$.promotion.confirmedAt',
        phase: 'pending',
      },
      End: true,
    });
    expect(map.MaxConcurrency).toBeUndefined();
    const processor = map.ItemProcessor!;
    expect(processor).toBeDefined();
    expect(processor.StartAt).toBe('ReconfSlave');
    expect(Object.keys(processor.States).sort()).toEqual(['ReconfSlave', 'SlaveDone', 'SlaveReconfigured?']);
    expect(state('ReconfSlave', processor)).toMatchObject({ Type: 'Task', Resource: fakeArn('reconfSlave'), Next: 'SlaveReconfigured?' });
    expect(state('ReconfSlave', processor).ResultPath).toBeUndefined();
    expect(state('SlaveReconfigured?', processor)).toEqual({
      Type: 'Choice',
      Choices: [
        {
          Or: ['done', 'sent-timeout', 'unreachable', 'timeout'].map((phase) => ({ Variable: '$.phase', StringEquals: phase })),
          Next: 'SlaveDone',
        },
      ],
      Default: 'ReconfSlave',
    });
    expect(state('SlaveDone', processor)).toEqual({ Type: 'Succeed' });
  });

  it('uses JSONPath only, never JSONata', () => {
    const machine = resourcesOfType('AWS::StepFunctions::StateMachine')[0]![1];
    const raw = JSON.stringify(machine.Properties?.DefinitionString);
    expect(raw).not.toMatch(/JSONata/i);
    expect(JSON.stringify(definition)).not.toContain('QueryLanguage');
    expect(definition.QueryLanguage).toBeUndefined();
    for (const [name, s] of allStates(definition)) {
      expect(s.QueryLanguage, name).toBeUndefined();
      expect(s.Arguments, name).toBeUndefined();
      expect(s.Output, name).toBeUndefined();
    }
  });

  type Retrier = {
    ErrorEquals: string[];
    MaxAttempts: number;
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  };
  const AFTER_PROMOTION = ['ReconfSlave', 'DemoteOldMaster', 'FailoverEnd', 'SwitchMaster'];

  it('retries every Task: never the permanent errors, the Lambda service’s own errors six times, and its failures', () => {
    // RequestApproval, the callback task, has its own test below: a retry would ask twice.
    const tasks = allStates(definition).filter(([name, s]) => s.Type === 'Task' && name !== 'RequestApproval');
    expect(tasks).toHaveLength(14);
    for (const [name, s] of tasks) {
      const retry = s.Retry as Retrier[];
      expect(retry, name).toHaveLength(3);
      // Evaluated in order: the permanent errors match first and are not retried.
      expect(retry[0], name).toEqual({ ErrorEquals: ['StaleEpochError', 'WorkflowInputError'], MaxAttempts: 0 });
      expect(retry[1]!.ErrorEquals, name).toEqual([
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
      ]);
      expect(retry[1], name).toMatchObject({ MaxAttempts: 6, IntervalSeconds: 1, BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(retry[2]!.ErrorEquals, name).toEqual(['States.TaskFailed']);
      expect(s.TimeoutSeconds, name).toBe(90);
    }
  });

  it('after +promoted-slave, retries a failed step for about 3 minutes; before it, three quick tries', () => {
    for (const [name, s] of allStates(definition).filter(([name, s]) => s.Type === 'Task' && name !== 'RequestApproval')) {
      const failed = (s.Retry as Retrier[])[2]!;
      if (AFTER_PROMOTION.includes(name)) {
        expect(failed, name).toEqual({
          ErrorEquals: ['States.TaskFailed'],
          IntervalSeconds: 1,
          MaxAttempts: 10,
          BackoffRate: 2,
          MaxDelaySeconds: 30,
          JitterStrategy: 'FULL',
        });
        const worstCase = Array.from({ length: 10 }, (_, i) => Math.min(30, 2 ** i)).reduce((a, b) => a + b, 0);
        expect(worstCase).toBeGreaterThanOrEqual(180);
      } else {
        expect(failed, name).toEqual({ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' });
      }
    }
  });

  it('loops SelectSlave → SlaveSelected? → SendSlaveofNoOne, or aborts with no good slave', () => {
    expect(state('SelectSlave')).toMatchObject({ Resource: fakeArn('selectSlave'), Next: 'SlaveSelected?' });
    expect(state('SlaveSelected?')).toEqual({
      Type: 'Choice',
      Choices: [
        {
          And: [
            { Variable: '$.selection.found', BooleanEquals: true },
            { Variable: '$.selection.askApproval', BooleanEquals: true },
          ],
          Next: 'RequestApproval',
        },
        { Variable: '$.selection.found', BooleanEquals: true, Next: 'SendSlaveofNoOne' },
      ],
      Default: 'AbortNoGoodSlave',
    });
    expect(state('AbortNoGoodSlave')).toMatchObject({
      Resource: fakeArn('abortFailover'),
      Parameters: { events: ['-failover-abort-no-good-slave'], 'master.$': '$.master', 'epoch.$': '$.epoch' },
      Next: 'NoGoodSlave',
    });
    expect(state('NoGoodSlave')).toMatchObject({ Type: 'Fail', Error: 'NoGoodSlave' });
  });

  it('asks the veto with a callback task: a token, the heartbeat from the settings, no retry of an answer, each outcome its state', () => {
    expect(state('RequestApproval')).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: fakeArn('announce'),
        Payload: {
          events: ['+failover-approval-requested'],
          approval: { 'taskToken.$': '$$.Task.Token', 'timeoutSeconds.$': '$.settings.approval.timeoutSeconds' },
        },
      },
      HeartbeatSecondsPath: '$.settings.approval.timeoutSeconds',
      TimeoutSeconds: 3660,
      Next: 'FailoverApproved',
      Catch: [
        { ErrorEquals: ['States.HeartbeatTimeout', 'States.Timeout'], ResultPath: '$.approvalError', Next: 'OnApprovalTimeout?' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.approvalError', Next: 'AbortVetoed' },
      ],
    });
    const retry = state('RequestApproval').Retry as Retrier[];
    expect(retry.flatMap((r) => r.ErrorEquals).every((e) => e.startsWith('Lambda.'))).toBe(true);
    expect(state('OnApprovalTimeout?')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.settings.approval.onTimeout', StringEquals: 'proceed', Next: 'ApprovalTimedOut' }],
      Default: 'AbortApprovalTimeout',
    });
    expect(state('FailoverApproved')).toMatchObject({
      Parameters: { events: ['+failover-approved', '+failover-state-send-slaveof-noone'] },
      Next: 'SendSlaveofNoOne',
    });
    expect(state('ApprovalTimedOut')).toMatchObject({
      Parameters: { events: ['+failover-approval-timeout', '+failover-state-send-slaveof-noone'] },
      Next: 'SendSlaveofNoOne',
    });
    expect(state('AbortVetoed')).toMatchObject({
      Resource: fakeArn('abortFailover'),
      Parameters: { events: ['-failover-abort-vetoed'], 'reason.$': '$.approvalError.Cause' },
      Next: 'Vetoed',
    });
    expect(state('AbortApprovalTimeout')).toMatchObject({ Resource: fakeArn('abortFailover'), Next: 'ApprovalTimeout' });
  });

  it('retries SendSlaveofNoOne until sent, or aborts on timeout', () => {
    expect(state('SendSlaveofNoOne')).toMatchObject({ Resource: fakeArn('sendSlaveofNoOne'), Next: 'SlaveofNoOneSent?' });
    expect(state('SlaveofNoOneSent?')).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.promotion.sent', BooleanEquals: true, Next: 'WaitPromotion' },
        { Variable: '$.promotion.timedOut', BooleanEquals: true, Next: 'AbortSlaveTimeout' },
      ],
      Default: 'SendSlaveofNoOne',
    });
  });

  it('waits for the promotion, reconfigures once confirmed, or aborts on timeout', () => {
    expect(state('WaitPromotion')).toMatchObject({ Resource: fakeArn('waitPromotion'), Next: 'PromotionConfirmed?' });
    expect(state('PromotionConfirmed?')).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.promotion.confirmed', BooleanEquals: true, Next: 'Reconfigure' },
        { Variable: '$.promotion.timedOut', BooleanEquals: true, Next: 'AbortSlaveTimeout' },
      ],
      Default: 'WaitPromotion',
    });
    expect(state('AbortSlaveTimeout')).toMatchObject({
      Resource: fakeArn('abortFailover'),
      Parameters: { events: ['-failover-abort-slave-timeout'], 'master.$': '$.master', 'epoch.$': '$.epoch' },
      Next: 'SlaveTimeout',
    });
    expect(state('SlaveTimeout')).toMatchObject({ Type: 'Fail', Error: 'SlaveTimeout' });
  });

  it('always reaches SwitchMaster once promoted: Reconfigure and FailoverEnd catch everything', () => {
    expect(state('Reconfigure').Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.reconfError', Next: 'FailoverEnd' }]);
    expect(state('FailoverEnd')).toMatchObject({
      Resource: fakeArn('failoverEnd'),
      Next: 'SwitchMaster',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.endError', Next: 'SwitchMaster' }],
    });
    expect(state('SwitchMaster')).toMatchObject({ Resource: fakeArn('switchMaster'), Next: 'FailoverSucceeded' });
    expect(state('SwitchMaster').Catch).toBeUndefined();
    expect(state('FailoverSucceeded')).toEqual({ Type: 'Succeed' });
  });

  it('only aborts before promotion: no state after Reconfigure leads to a Fail state', () => {
    for (const name of ['Reconfigure', 'FailoverEnd', 'SwitchMaster']) {
      const s = state(name);
      const targets = [s.Next, ...((s.Catch as Array<{ Next: string }> | undefined) ?? []).map((c) => c.Next)];
      for (const target of targets) if (target) expect(['FailoverEnd', 'SwitchMaster', 'FailoverSucceeded']).toContain(target);
    }
  });

  it('maps every Task to its step', () => {
    expect(taskStates(definition)).toEqual([
      { name: 'FailoverTriggered', step: 'announce' },
      { name: 'SelectSlave', step: 'selectSlave' },
      { name: 'AbortNoGoodSlave', step: 'abortFailover' },
      { name: 'RequestApproval', step: 'announce' },
      { name: 'FailoverApproved', step: 'announce' },
      { name: 'SendSlaveofNoOne', step: 'sendSlaveofNoOne' },
      { name: 'ApprovalTimedOut', step: 'announce' },
      { name: 'AbortApprovalTimeout', step: 'abortFailover' },
      { name: 'WaitPromotion', step: 'waitPromotion' },
      { name: 'DemoteOldMaster', step: 'reconfSlave' },
      { name: 'ReconfSlave', step: 'reconfSlave' },
      { name: 'FailoverEnd', step: 'failoverEnd' },
      { name: 'SwitchMaster', step: 'switchMaster' },
      { name: 'AbortSlaveTimeout', step: 'abortFailover' },
      { name: 'AbortVetoed', step: 'abortFailover' },
    ]);
    const steps = new Set(taskStates(definition).map((t) => t.step));
    expect([...steps].sort()).toEqual([...STEP_KEYS].sort());
  });
});

describe('with the table', () => {
  it('tells only the steps that use it, and grants each exactly the actions it calls', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const tableStack = new Stack(app, 'WithTable');
    const table = new dynamodb.Table(tableStack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    const workflow = new FailoverWorkflow(tableStack, 'Failover', { eventBus: new events.EventBus(tableStack, 'Bus'), table });
    const t = Template.fromStack(tableStack).toJSON() as CloudFormationTemplate;
    const tableId = tableStack.getLogicalId(table.node.defaultChild as dynamodb.CfnTable);
    const granted = new Map<StepKey, string[]>();
    for (const step of STEP_KEYS) {
      const fn = workflow.functions[step];
      const props = t.Resources[tableStack.getLogicalId(fn.node.defaultChild as CfnFunction)]!.Properties!;
      const variables = (props.Environment as { Variables: Record<string, unknown> }).Variables;
      const roleId = (props.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const actions = Object.values(t.Resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement)
        .filter((st) => JSON.stringify(st.Resource).includes(tableId))
        .flatMap((st) => {
          expect(st.Resource).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
          return Array.isArray(st.Action) ? st.Action : [st.Action];
        });
      granted.set(step, actions.sort());
      if (STEP_ACCESS[step].table.length > 0) expect(variables.TABLE_NAME, step).toEqual({ Ref: tableId });
      else expect(variables.TABLE_NAME, step).toBeUndefined();
    }
    expect(Object.fromEntries(granted)).toEqual({
      announce: [],
      abortFailover: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      selectSlave: ['dynamodb:GetItem', 'dynamodb:Query'],
      sendSlaveofNoOne: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      waitPromotion: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      reconfSlave: [],
      failoverEnd: [],
      switchMaster: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    });
  });
});

describe('in the deployed stack', () => {
  it('is the same workflow: RedisFailoverStack renders the very same DefinitionString', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const full = Template.fromStack(new RedisFailoverStack(app, 'Test')).toJSON() as CloudFormationTemplate;
    const definitionOf = (t: CloudFormationTemplate) =>
      Object.values(t.Resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine')!.Properties!.DefinitionString;
    expect(withoutExecutionTimeout(definitionOf(full))).toEqual(definitionOf(json));
    expect(JSON.stringify(definitionOf(full))).toMatch(/\\"TimeoutSeconds\\":\d+,\\"Comment\\"/);
    // …and its step functions have the same logical ids, which the definition refers to.
    for (const id of functionIds.values()) expect(full.Resources[id]?.Type).toBe('AWS::Lambda::Function');
  });
});
