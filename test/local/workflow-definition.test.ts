/**
 * The definition the local runner executes is the one `cdk synth` puts in the deployed template.
 * The CDK CLI runs once, for real, on bin/app.ts (cdk.json), into a temporary directory.
 */
import { CALLBACK_RESOURCE } from '../../local/callback-tasks.ts';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_KEYS, type StepKey } from '../../lib/steps.ts';
import {
  definitionFromTemplate,
  localFunctionArn,
  stepOfArn,
  synthesizedWorkflow,
  taskStates,
  type CloudFormationTemplate,
  type StateMachineDefinition,
} from '../../local/workflow-definition.ts';
import { LocalWorkflow } from '../../local/workflow-runner.ts';
import { withoutExecutionTimeout } from '../lib/support.ts';

const PROJECT_DIR = fileURLToPath(new URL('../../', import.meta.url));
const SYNTH_TIMEOUT_MS = 90_000;

const pascal = (step: StepKey) => `${step[0]!.toUpperCase()}${step.slice(1)}`;

/** The step whose function has this logical id: `Failover<Step>Function<hash>` (construct ids in lib/failover-workflow.ts). */
function stepOfLogicalId(logicalId: string): StepKey | undefined {
  return STEP_KEYS.find((step) => new RegExp(`^Failover${pascal(step)}Function[0-9A-F]{8}$`).test(logicalId));
}

/** The probes (lib/probes.ts) and the failover request: functions of the stack that are not workflow steps. */
const NOT_A_STEP = /^Failover(ProbesProbe\d+|RequestFailover)[0-9A-F]{8}$/;

/** Each step's AWS::Lambda::Function in the template, by logical id, to the ARN the local runner gives its step. */
function localArnsOf(template: CloudFormationTemplate): Map<string, string> {
  const arns = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function' || NOT_A_STEP.test(logicalId)) continue;
    const step = stepOfLogicalId(logicalId);
    if (!step) throw new Error(`function ${logicalId} belongs to no known step`);
    arns.set(logicalId, localFunctionArn(step));
  }
  return arns;
}

function machineOf(template: CloudFormationTemplate) {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(1);
  return machines[0]!;
}

/** A template with one state machine whose DefinitionString is `definitionString`. */
function templateWith(definitionString: unknown): CloudFormationTemplate {
  return { Resources: { Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: definitionString } } } };
}

let outdir: string;
let cliTemplate: CloudFormationTemplate;

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'redis-failover-cdk-synth-'));
  // The CLI refuses `-c aws:cdk:bundling-stacks=[]` ("User-provided context cannot use keys prefixed
  // with 'aws:'"), so this synth bundles the handlers with esbuild, as `cdk deploy` would (a few seconds).
  await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', outdir], {
    cwd: PROJECT_DIR,
    timeout: SYNTH_TIMEOUT_MS,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
  });
  cliTemplate = JSON.parse(readFileSync(path.join(outdir, 'RedisFailover.template.json'), 'utf8')) as CloudFormationTemplate;
}, SYNTH_TIMEOUT_MS + 30_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('the definition the local runner executes', () => {
  it('finds a function for every step in the cdk synth template', () => {
    const arns = localArnsOf(cliTemplate);
    expect(arns.size).toBe(8);
    expect([...arns.values()].sort()).toEqual(STEP_KEYS.map(localFunctionArn).sort());
  });

  it('is exactly the DefinitionString of the template cdk synth produces, resolved', async () => {
    const resolved = definitionFromTemplate(cliTemplate, localArnsOf(cliTemplate));
    expect(resolved.StartAt).toBe('FailoverTriggered');
    expect(Object.keys(resolved.States)).toHaveLength(24);
    const workflow = await LocalWorkflow.load();
    expect(workflow.definition).toEqual(withoutExecutionTimeout(resolved));
  });

  it('is not altered by loading the runner (the ASL validator must not fill in defaults such as QueryLanguage)', async () => {
    const workflow = await LocalWorkflow.load();
    const { definition } = await synthesizedWorkflow();
    const withQueryLanguage = (machine: StateMachineDefinition): string[] =>
      Object.entries(machine.States).flatMap(([name, s]) => [
        ...('QueryLanguage' in s ? [name] : []),
        ...(s.ItemProcessor ? withQueryLanguage(s.ItemProcessor) : []),
      ]);
    expect(withQueryLanguage(workflow.definition)).toEqual([]);
    expect(withQueryLanguage(definition)).toEqual([]);
  });

  it('comes from the same unresolved DefinitionString as the in-process synth', async () => {
    const { template } = await synthesizedWorkflow();
    expect(machineOf(template).Properties?.DefinitionString).toEqual(withoutExecutionTimeout(machineOf(cliTemplate).Properties?.DefinitionString));
  });

  it('points every Task at its step’s local ARN', async () => {
    const { definition } = await synthesizedWorkflow();
    const tasks = taskStates(definition);
    expect(tasks.map((t) => t.name)).toEqual([
      'FailoverTriggered',
      'SelectSlave',
      'AbortNoGoodSlave',
      'RequestApproval',
      'FailoverApproved',
      'SendSlaveofNoOne',
      'ApprovalTimedOut',
      'AbortApprovalTimeout',
      'WaitPromotion',
      'DemoteOldMaster',
      'ReconfSlave',
      'FailoverEnd',
      'SwitchMaster',
      'AbortSlaveTimeout',
      'AbortVetoed',
    ]);
    const [oldMaster, replicas] = (definition.States.Reconfigure?.Branches ?? []) as StateMachineDefinition[];
    const found = (name: string, machine: StateMachineDefinition = definition) =>
      machine.States[name] ?? oldMaster?.States[name] ?? replicas?.States.ReconfSlaves?.ItemProcessor?.States[name];
    // A callback task (RequestApproval) names its function in Parameters.
    const resource = (name: string): string | undefined => {
      const s = found(name);
      return s?.Resource === CALLBACK_RESOURCE ? (s.Parameters as { FunctionName?: string }).FunctionName : s?.Resource;
    };
    for (const { name, step } of tasks) expect(resource(name), name).toBe(localFunctionArn(step));
  });
});

describe('localFunctionArn / stepOfArn', () => {
  it('round-trips every step', () => {
    for (const step of STEP_KEYS) {
      expect(localFunctionArn(step)).toBe(`arn:aws:lambda:local-1:000000000000:function:${step}`);
      expect(stepOfArn(localFunctionArn(step))).toBe(step);
    }
  });

  it('knows no step outside FAILOVER_STEPS', () => {
    expect(stepOfArn('arn:aws:lambda:local-1:000000000000:function:deleteEverything')).toBeUndefined();
    expect(stepOfArn('arn:aws:states:::lambda:invoke')).toBeUndefined();
    expect(stepOfArn('')).toBeUndefined();
  });
});

describe('definitionFromTemplate', () => {
  const arns = new Map([['Fn1', 'arn:aws:lambda:local-1:000000000000:function:announce']]);

  it('resolves Fn::Join, Fn::GetAtt of a known function and pseudo parameters', () => {
    const definition = definitionFromTemplate(
      templateWith({
        'Fn::Join': [
          '',
          [
            '{"StartAt":"A","States":{"A":{"Type":"Task","End":true,"Resource":"',
            { 'Fn::GetAtt': ['Fn1', 'Arn'] },
            '","Comment":"',
            { Ref: 'AWS::Partition' },
            '/',
            { Ref: 'AWS::Region' },
            '/',
            { Ref: 'AWS::AccountId' },
            '/',
            { Ref: 'AWS::URLSuffix' },
            '"}}}',
          ],
        ],
      }),
      arns,
    );
    expect(definition).toEqual({
      StartAt: 'A',
      States: {
        A: { Type: 'Task', End: true, Resource: 'arn:aws:lambda:local-1:000000000000:function:announce', Comment: 'aws/local-1/000000000000/amazonaws.com' },
      },
    });
  });

  it('takes a plain string as it is', () => {
    expect(definitionFromTemplate(templateWith('{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}'), arns)).toEqual({
      StartAt: 'A',
      States: { A: { Type: 'Succeed' } },
    });
  });

  it('resolves Fn::Sub, Fn::Select and Fn::Split as CloudFormation does', () => {
    const template = templateWith({
      'Fn::Join': [
        '',
        ['{"StartAt":"', { 'Fn::Sub': '${AWS::Region}-${Fn1.Arn}' }, '","Comment":"', { 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] }, '","States":{}}'],
      ],
    });
    expect(definitionFromTemplate(template, arns)).toEqual({
      StartAt: 'local-1-arn:aws:lambda:local-1:000000000000:function:announce',
      Comment: 'b',
      States: {},
    });
  });

  it.each([
    ['Fn::ImportValue', { 'Fn::ImportValue': 'SomeExport' }],
    ['Fn::If', { 'Fn::If': ['Cond', 'a', 'b'] }],
    ['Fn::Cidr', { 'Fn::Cidr': ['10.0.0.0/16', 3, 8] }],
  ])('refuses %s with a clear error', (name, intrinsic) => {
    const template = templateWith({ 'Fn::Join': ['', ['{"StartAt":"', intrinsic, '","States":{}}']] });
    expect(() => definitionFromTemplate(template, arns)).toThrow(`unsupported intrinsic in the state machine definition: ${name}`);
  });

  it('refuses an unsupported intrinsic as the whole DefinitionString', () => {
    expect(() => definitionFromTemplate(templateWith({ 'Fn::ImportValue': '{}' }), arns)).toThrow(
      'unsupported intrinsic in the state machine definition: Fn::ImportValue',
    );
  });

  it('refuses Fn::GetAtt of an unknown resource or of another attribute', () => {
    const getAtt = (logicalId: string, attribute: string) => templateWith({ 'Fn::Join': ['', ['"', { 'Fn::GetAtt': [logicalId, attribute] }, '"']] });
    expect(() => definitionFromTemplate(getAtt('Unknown', 'Arn'), arns)).toThrow('cannot resolve Fn::GetAtt Unknown.Arn locally');
    expect(() => definitionFromTemplate(getAtt('Fn1', 'Name'), arns)).toThrow('cannot resolve Fn::GetAtt Fn1.Name locally');
  });

  it('refuses a Ref to anything but a pseudo parameter', () => {
    const ref = templateWith({ 'Fn::Join': ['', ['"', { Ref: 'SomeBucket' }, '"']] });
    expect(() => definitionFromTemplate(ref, arns)).toThrow('cannot resolve Ref SomeBucket locally');
  });

  it('wants exactly one state machine', () => {
    expect(() => definitionFromTemplate({ Resources: {} }, arns)).toThrow('expected one state machine in the template, found 0');
    const machine = { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: '{}' } };
    expect(() => definitionFromTemplate({ Resources: { A: machine, B: machine } }, arns)).toThrow('expected one state machine in the template, found 2');
  });

  it('refuses a DefinitionString that is not a string', () => {
    expect(() => definitionFromTemplate(templateWith(undefined), arns)).toThrow('DefinitionString did not resolve to a string');
  });
});

describe('taskStates', () => {
  const known = localFunctionArn('reconfSlave');
  const unknown = 'arn:aws:lambda:local-1:000000000000:function:notAStep';

  it('refuses a top-level Task whose Resource is not a known step', () => {
    const definition: StateMachineDefinition = { StartAt: 'Rogue', States: { Rogue: { Type: 'Task', Resource: unknown, End: true } } };
    expect(() => taskStates(definition)).toThrow(`state Rogue is a Task without a known step function (${unknown})`);
  });

  it('refuses a Task that calls a service integration instead of a step function', () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Invoke',
      States: { Invoke: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
    };
    expect(() => taskStates(definition)).toThrow('state Invoke is a Task without a known step function (arn:aws:states:::lambda:invoke)');
  });

  it('refuses a Task without a Resource', () => {
    const definition: StateMachineDefinition = { StartAt: 'Bare', States: { Bare: { Type: 'Task', End: true } } };
    expect(() => taskStates(definition)).toThrow('state Bare is a Task without a known step function (undefined)');
  });

  it('looks inside Map item processors, legacy iterators and Parallel branches', () => {
    const inner = (name: string, resource: string): StateMachineDefinition => ({
      StartAt: name,
      States: { [name]: { Type: 'Task', Resource: resource, End: true } },
    });
    const ok: StateMachineDefinition = {
      StartAt: 'M',
      States: {
        M: { Type: 'Map', ItemProcessor: inner('InMap', known), Next: 'I' },
        I: { Type: 'Map', Iterator: inner('InIterator', localFunctionArn('announce')), Next: 'P' },
        P: { Type: 'Parallel', Branches: [inner('InBranch', localFunctionArn('switchMaster'))], End: true },
      },
    };
    expect(taskStates(ok)).toEqual([
      { name: 'InMap', step: 'reconfSlave' },
      { name: 'InIterator', step: 'announce' },
      { name: 'InBranch', step: 'switchMaster' },
    ]);
    const rogueInMap: StateMachineDefinition = { StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: inner('Nested', unknown), End: true } } };
    expect(() => taskStates(rogueInMap)).toThrow(`state Nested is a Task without a known step function (${unknown})`);
    const rogueInBranch: StateMachineDefinition = { StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [inner('Branched', unknown)], End: true } } };
    expect(() => taskStates(rogueInBranch)).toThrow('state Branched is a Task without a known step function');
  });

  it('ignores states that are not Tasks', () => {
    expect(taskStates({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, Next: 'S' }, S: { Type: 'Succeed' } } })).toEqual([]);
  });
});
