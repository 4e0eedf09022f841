/** Shared by the CDK template tests: a quick app (no bundling), template lookups, cdk-nag findings. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnResource } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** Bundling skipped: the tests look at the template, not at the code assets. */
export function testApp(outdir?: string): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] }, ...(outdir !== undefined && { outdir }) });
}

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
}

export interface TemplateJson {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, { readonly Value: unknown }>;
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every literal physical name in a template's resources (`<type> <name>`): what CloudFormation would refuse twice in one account. */
export function literalNames(resources: Readonly<Record<string, Resource>>): string[] {
  const nameProperties = [
    'Name',
    'FunctionName',
    'TableName',
    'TopicName',
    'StateMachineName',
    'LogGroupName',
    'RoleName',
    'AlarmName',
    'DashboardName',
    'ArchiveName',
    'GroupName',
    'ScheduleGroupName',
  ];
  return Object.values(resources).flatMap((r) =>
    nameProperties.flatMap((p) => {
      const value = r.Properties?.[p];
      return typeof value === 'string' ? [`${r.Type} ${value}`] : [];
    }),
  );
}

/** A synthesized stack with handy lookups. */
export class Synthesized {
  readonly template: Template;
  readonly json: TemplateJson;

  constructor(readonly stack: Stack) {
    this.template = Template.fromStack(stack);
    this.json = this.template.toJSON() as TemplateJson;
  }

  idOf(construct: IConstruct): string {
    const cfn = (construct.node.defaultChild ?? construct) as CfnResource;
    return this.stack.resolve(this.stack.getLogicalId(cfn)) as string;
  }

  ofType(type: string): Array<[string, Resource]> {
    return Object.entries(this.json.Resources).filter(([, r]) => r.Type === type);
  }

  props(logicalId: string): Record<string, unknown> {
    const resource = this.json.Resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId}`);
    return resource.Properties ?? {};
  }

  /** The logical id of a function's role. */
  roleOf(functionId: string): string {
    return (this.props(functionId).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  }

  /** Every statement granted to a role: its inline policies and every AWS::IAM::Policy attached to it. */
  statementsOf(roleId: string): Statement[] {
    const inline = ((this.props(roleId).Policies as Array<{ PolicyDocument: { Statement: Statement[] } }> | undefined) ?? []).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    const attached = this.ofType('AWS::IAM::Policy')
      .filter(([, p]) => ((p.Properties?.Roles as unknown[]) ?? []).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
    return [...inline, ...attached];
  }

  /** Every action a role may perform, once each, sorted. */
  actionsOf(roleId: string): string[] {
    return [...new Set(this.statementsOf(roleId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
  }

  /** The resources a role may perform `action` on. */
  resourcesFor(roleId: string, action: string): unknown[] {
    return this.statementsOf(roleId)
      .filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action))
      .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
  }
}

export interface NagResult {
  /** `<rule id> at <construct path>`, one per unacknowledged finding. */
  readonly findings: string[];
  /** Every acknowledgement recorded in the tree: rule id and reason. */
  readonly acknowledgements: Array<{ readonly id: string; readonly reason: string; readonly path: string }>;
}

/** Runs cdk-nag's AwsSolutions and Serverless checks on whatever `build` adds to a fresh app. */
export function runNag(build: (app: App) => void): NagResult {
  const outdir = mkdtempSync(path.join(tmpdir(), 'redis-failover-nag-'));
  // The built-in CloudFormation validation too, which the rest of the suite skips (vitest.config.ts): its findings are reported here.
  const validation = process.env.CDK_VALIDATION;
  delete process.env.CDK_VALIDATION;
  try {
    const app = testApp(outdir);
    build(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    const acknowledgements: Array<{ id: string; reason: string; path: string }> = [];
    for (const node of app.node.findAll()) {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        // Recorded as `{ [rule id]: reason }`.
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledgements.push({ id, reason, path: node.node.path });
      }
    }
    try {
      app.synth();
    } catch (error) {
      if (!(error instanceof Error && (error.name === 'ValidationFailed' || /Validation failed/.test(error.message)))) throw error;
    }
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
    };
    const findings = report.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
    return { findings, acknowledgements };
  } finally {
    if (validation !== undefined) process.env.CDK_VALIDATION = validation;
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * A state machine definition (resolved, or the unresolved DefinitionString) without its top-level
 * TimeoutSeconds: the deployed stack derives it from the config's failover-timeouts, the local
 * runner synthesizes the workflow without a config and needs none (the lease bounds a failover).
 */
export function withoutExecutionTimeout<T>(definition: T): T {
  return JSON.parse(JSON.stringify(definition).replace(/,\\"TimeoutSeconds\\":\d+(?=,\\"Comment\\")|,"TimeoutSeconds":\d+(?=,"Comment")/g, '')) as T;
}
