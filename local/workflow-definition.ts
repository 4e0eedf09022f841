/**
 * The failover workflow's definition, taken from the synthesized CloudFormation template of
 * the very construct `cdk deploy` ships (FailoverWorkflowStack: the workflow alone, at its
 * deployed construct path, for a quick start), with its tokens resolved. Nothing here knows the
 * states: the local runner executes whatever the construct produced.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { FailoverWorkflowStack } from '../lib/workflow-stack.ts';
import { taskResources } from './workflow-executor.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, resolveIntrinsics, type CloudFormationTemplate, type ResourceNames } from './cloudformation.ts';
import { STEP_KEYS, type StepKey } from '../lib/steps.ts';
import { TemplateError } from '../lambdas/core/errors.ts';

export type { CloudFormationTemplate } from './cloudformation.ts';

/** Stands in for a step function's ARN: `arn:aws:lambda:local-1:000000000000:function:<step>`. */
export function localFunctionArn(step: StepKey): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${step}`;
}

export function stepOfArn(arn: string): StepKey | undefined {
  const name = arn.split(':function:')[1];
  return STEP_KEYS.find((step) => step === name);
}

/** An Amazon States Language document, as much of it as the runner walks. */
export interface StateMachineDefinition {
  readonly StartAt: string;
  readonly States: Record<string, StateDefinition>;
  readonly [key: string]: unknown;
}

export interface StateDefinition {
  readonly Type: string;
  readonly Resource?: string;
  readonly ItemProcessor?: StateMachineDefinition;
  readonly Iterator?: StateMachineDefinition;
  readonly Branches?: readonly StateMachineDefinition[];
  readonly [key: string]: unknown;
}

export interface SynthesizedWorkflow {
  /** The template's `DefinitionString`, tokens resolved. */
  readonly definition: StateMachineDefinition;
  /** The whole synthesized template, for tests that compare against it. */
  readonly template: CloudFormationTemplate;
}

let cached: Promise<SynthesizedWorkflow> | undefined;

/** Synthesizes the stack once per process (bundling skipped: nothing is deployed). */
export function synthesizedWorkflow(): Promise<SynthesizedWorkflow> {
  cached ??= Promise.resolve().then(synthesize);
  return cached;
}

function synthesize(): SynthesizedWorkflow {
  const outdir = mkdtempSync(path.join(tmpdir(), 'redis-failover-synth-'));
  try {
    // The same context `cdk synth` reads from cdk.json: feature flags change the rendered definition.
    const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
    const stack = new FailoverWorkflowStack(app, 'RedisFailover', { env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
    const functionArns = new Map<string, string>();
    for (const step of STEP_KEYS) {
      const fn = stack.workflow.functions[step];
      functionArns.set(Stack.of(fn).getLogicalId(fn.node.defaultChild as CfnFunction), localFunctionArn(step));
    }
    const template = app.synth().getStackByName(stack.stackName).template as CloudFormationTemplate;
    return { template, definition: definitionFromTemplate(template, functionArns) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The context `cdk synth` reads from cdk.json: feature flags change what is rendered. */
export function cdkJsonContext(): Record<string, unknown> {
  const file = fileURLToPath(new URL('../cdk.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
}

/** Finds the one state machine in a template and resolves its definition. */
export function definitionFromTemplate(template: CloudFormationTemplate, functionArns: ReadonlyMap<string, string>): StateMachineDefinition {
  const machines = Object.values(template.Resources).filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new TemplateError(`expected one state machine in the template, found ${machines.length}`);
  // Only the step functions' ARNs: the definition refers to nothing else.
  const names: ResourceNames = { ref: () => undefined, getAtt: (id, attribute) => (attribute === 'Arn' ? functionArns.get(id) : undefined) };
  const text = resolveIntrinsics(machines[0]!.Properties?.DefinitionString, names, 'the state machine definition');
  if (typeof text !== 'string') throw new TemplateError('DefinitionString did not resolve to a string');
  return JSON.parse(text) as StateMachineDefinition;
}

/** Every Task state, at any depth (Map item processors, Parallel branches), with its step. */
export function taskStates(definition: StateMachineDefinition): Array<{ name: string; step: StepKey }> {
  return taskResources(definition).map(({ name, resource }) => {
    const step = resource ? stepOfArn(resource) : undefined;
    if (!step) throw new TemplateError(`state ${name} is a Task without a known step function (${String(resource)})`);
    return { name, step };
  });
}
