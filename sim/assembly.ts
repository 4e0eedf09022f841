/**
 * A cloud assembly (`cdk.out`) read the way CloudFormation and the services would deploy it:
 * each Lambda function with its bundle, runtime, timeout, environment and concurrency; the state
 * machine's definition; the schedules; the table; the buses and rules. Physical names are the
 * simulated account's (`LOCAL_REGION`, `LOCAL_ACCOUNT`), and every intrinsic is resolved
 * against them, so what runs is the template as written, not the sources behind it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  resolveIntrinsics,
  type CloudFormationTemplate,
  type ResourceNames,
  type TemplateResource,
} from '../local/cloudformation.ts';
import type { StateMachineDefinition } from '../local/workflow-definition.ts';
import { DEFAULT_ASYNC, type FunctionSpec } from './lambda/function-spec.ts';
import { TemplateError, messageOf } from '../lambdas/core/errors.ts';

export interface StateMachineSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly definition: StateMachineDefinition;
}

export interface ScheduleSpec {
  readonly logicalId: string;
  readonly expression: string;
  readonly periodMs: number;
  readonly enabled: boolean;
  /** The function's ARN (possibly qualified). */
  readonly targetArn: string;
  /** The event the target receives (Target.Input, parsed; `{}` when absent). */
  readonly input: unknown;
  readonly retry: { readonly maxEventAgeMs: number; readonly maxRetryAttempts: number };
}

export interface TableSpec {
  readonly logicalId: string;
  readonly name: string;
  readonly keySchema: Array<{ AttributeName: string; KeyType: 'HASH' | 'RANGE' }>;
  readonly attributeDefinitions: Array<{ AttributeName: string; AttributeType: 'S' | 'N' | 'B' }>;
}

export interface RuleSpec {
  readonly name: string;
  readonly eventBusName: string;
  readonly eventPattern: Record<string, unknown>;
  readonly targets: string[];
}

export interface HostedZoneSpec {
  readonly logicalId: string;
  /** The id Route 53 gives it (`Z…`): what Ref answers. */
  readonly id: string;
  /** Without the trailing dot. */
  readonly name: string;
}

export interface Assembly {
  readonly dir: string;
  readonly stackName: string;
  /** The template file the simulation runs. */
  readonly templatePath: string;
  readonly template: CloudFormationTemplate;
  readonly functions: readonly FunctionSpec[];
  readonly stateMachines: readonly StateMachineSpec[];
  readonly schedules: readonly ScheduleSpec[];
  readonly tables: readonly TableSpec[];
  readonly buses: readonly string[];
  readonly rules: readonly RuleSpec[];
  readonly hostedZones: readonly HostedZoneSpec[];
  /** An AWS::CloudWatch::Alarm with its properties resolved (sim/cloudwatch.ts evaluates it). */
  alarm(logicalIdPrefix: string): TemplateResource;
  /** The body of each AWS::CloudWatch::Dashboard, resolved (sim/cloudwatch.ts graphedMetrics reads it). */
  dashboardBodies(): string[];
}

interface Manifest {
  readonly artifacts: Record<string, { readonly type: string; readonly properties?: { readonly templateFile?: string } }>;
}

interface AssetManifest {
  readonly files: Record<string, { readonly source: { readonly path: string; readonly packaging?: string } }>;
}

/** Reads the one stack of the assembly in `dir` (or `stackName`). Throws a one-line TemplateError for what it cannot run. */
export function readAssembly(dir: string, stackName?: string): Assembly {
  const manifest = readJson<Manifest>(path.join(dir, 'manifest.json'));
  const stacks = Object.entries(manifest.artifacts).filter(
    ([name, a]) => a.type === 'aws:cloudformation:stack' && (stackName === undefined || name === stackName),
  );
  if (stacks.length !== 1) throw new TemplateError(`${dir}: expected one stack${stackName ? ` named ${stackName}` : ''}, found ${stacks.length}`);
  const [name, artifact] = stacks[0]!;
  const templatePath = path.join(dir, artifact.properties?.templateFile ?? `${name}.template.json`);
  const template = readJson<CloudFormationTemplate>(templatePath);
  const assets = readJson<AssetManifest>(path.join(dir, `${name}.assets.json`));
  const names = physicalNames(name, template);
  const resolve = (value: unknown, what: string) => resolveIntrinsics(value, names, what);
  const of = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  const invokeConfigs = new Map<string, { maxRetryAttempts: number; maxEventAgeMs: number }>();
  for (const [id, resource] of of('AWS::Lambda::EventInvokeConfig')) {
    const p = resource.Properties ?? {};
    invokeConfigs.set(String(resolve(p.FunctionName, id)), {
      maxRetryAttempts: Number(p.MaximumRetryAttempts ?? DEFAULT_ASYNC.maxRetryAttempts),
      maxEventAgeMs: Number(p.MaximumEventAgeInSeconds ?? DEFAULT_ASYNC.maxEventAgeMs / 1000) * 1000,
    });
  }
  const aliases = new Map<string, FunctionSpec['aliases'][number][]>();
  for (const [id, resource] of of('AWS::Lambda::Alias')) {
    const p = resource.Properties ?? {};
    const fn = String(resolve(p.FunctionName, id));
    const list = aliases.get(fn) ?? [];
    const provisioned = (p.ProvisionedConcurrencyConfig as { ProvisionedConcurrentExecutions?: number } | undefined)?.ProvisionedConcurrentExecutions ?? 0;
    list.push({ name: String(p.Name), arn: names.ref(id)!, provisionedConcurrency: provisioned });
    aliases.set(fn, list);
  }

  const functions = of('AWS::Lambda::Function').map(([id, resource]): FunctionSpec => {
    const p = resource.Properties ?? {};
    const functionName = names.ref(id)!;
    const key = String(resolve((p.Code as { S3Key?: unknown } | undefined)?.S3Key, `${id}.Code`));
    const asset = assets.files[key.replace(/\.zip$/, '')];
    if (!asset) throw new TemplateError(`${id}: its code (${key}) is not an asset of this assembly (an inline or S3 function cannot be simulated)`);
    const variables = resolve((p.Environment as { Variables?: unknown } | undefined)?.Variables ?? {}, `${id}.Environment`) as Record<string, unknown>;
    return {
      logicalId: id,
      name: functionName,
      arn: names.getAtt(id, 'Arn')!,
      runtime: String(p.Runtime),
      handler: String(p.Handler),
      codeDir: path.join(dir, asset.source.path),
      timeoutMs: Number(p.Timeout ?? 3) * 1000,
      memoryMb: Number(p.MemorySize ?? 128),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? null : Number(p.ReservedConcurrentExecutions),
      async: invokeConfigs.get(functionName) ?? DEFAULT_ASYNC,
      aliases: aliases.get(functionName) ?? [],
    };
  });

  const stateMachines = of('AWS::StepFunctions::StateMachine').map(([id, resource]): StateMachineSpec => {
    const text = resolve(resource.Properties?.DefinitionString, `${id} definition`);
    if (typeof text !== 'string') throw new TemplateError(`${id}: DefinitionString did not resolve to a string`);
    return { logicalId: id, name: names.getAtt(id, 'Name')!, arn: names.ref(id)!, definition: JSON.parse(text) as StateMachineDefinition };
  });

  const schedules = of('AWS::Scheduler::Schedule').map(([id, resource]): ScheduleSpec => {
    const p = resource.Properties ?? {};
    const target = (p.Target ?? {}) as { Arn?: unknown; Input?: unknown; RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number } };
    const expression = String(p.ScheduleExpression);
    const input = target.Input === undefined ? {} : JSON.parse(String(resolve(target.Input, `${id}.Target.Input`)));
    return {
      logicalId: id,
      expression,
      periodMs: ratePeriodMs(expression, id),
      enabled: (p.State ?? 'ENABLED') === 'ENABLED',
      targetArn: String(resolve(target.Arn, `${id}.Target.Arn`)),
      input,
      // Scheduler's defaults: 24 hours, 185 retries.
      retry: {
        maxEventAgeMs: (target.RetryPolicy?.MaximumEventAgeInSeconds ?? 86_400) * 1000,
        maxRetryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? 185,
      },
    };
  });

  const tables = of('AWS::DynamoDB::Table').map(
    ([id, resource]): TableSpec => ({
      logicalId: id,
      name: names.ref(id)!,
      keySchema: resource.Properties?.KeySchema as TableSpec['keySchema'],
      attributeDefinitions: resource.Properties?.AttributeDefinitions as TableSpec['attributeDefinitions'],
    }),
  );

  const buses = of('AWS::Events::EventBus').map(([id]) => names.ref(id)!);
  const rules = of('AWS::Events::Rule').map(([id, resource]): RuleSpec => {
    const p = resource.Properties ?? {};
    return {
      name: names.ref(id)!,
      eventBusName: String(resolve(p.EventBusName ?? 'default', `${id}.EventBusName`)),
      eventPattern: resolve(p.EventPattern ?? {}, `${id}.EventPattern`) as Record<string, unknown>,
      targets: ((p.Targets ?? []) as Array<{ Arn: unknown }>).map((t) => String(resolve(t.Arn, `${id}.Targets`))),
    };
  });

  const hostedZones = of('AWS::Route53::HostedZone').map(
    ([id, resource]): HostedZoneSpec => ({
      logicalId: id,
      id: names.ref(id)!,
      name: String(resolve(resource.Properties?.Name, `${id}.Name`)).replace(/\.$/, ''),
    }),
  );

  // Resolved when asked: alarm actions may name topics of other stacks, which nothing here runs.
  const alarm = (prefix: string): TemplateResource => {
    const found = of('AWS::CloudWatch::Alarm').filter(([id]) => id.startsWith(prefix));
    if (found.length !== 1) throw new TemplateError(`${found.length} alarms have a logical id starting with ${prefix}`);
    const [id, resource] = found[0]!;
    const { AlarmActions: _actions, OKActions: _ok, ...properties } = resource.Properties ?? {};
    return { Type: resource.Type, Properties: resolve(properties, id) as Record<string, unknown> };
  };

  const dashboardBodies = (): string[] =>
    of('AWS::CloudWatch::Dashboard').map(([id, resource]) => String(resolve(resource.Properties?.DashboardBody, `${id}.DashboardBody`)));

  return { dir, stackName: name, templatePath, template, functions, stateMachines, schedules, tables, buses, rules, hostedZones, alarm, dashboardBodies };
}

/** `rate(1 minute)`, `rate(5 minutes)`, and the simulation's `rate(3 seconds)` (see lib/probes.ts). */
function ratePeriodMs(expression: string, what: string): number {
  const match = /^rate\((\d+) (second|minute|hour|day)s?\)$/.exec(expression);
  if (!match) throw new TemplateError(`${what}: only rate(…) schedules can be simulated (got ${expression})`);
  const unit = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[match[2] as 'second'];
  return Number(match[1]) * unit;
}

/**
 * The names the simulated account gives each resource: an explicit name property when the
 * template has one, else `<stack>-<logicalId>`, the way CloudFormation generates them.
 */
function physicalNames(stackName: string, template: CloudFormationTemplate): ResourceNames {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
  const generated = (id: string) => `${stackName}-${id}`;
  const resources = template.Resources;
  const named = (resource: TemplateResource, property: string, id: string) => {
    const value = resource.Properties?.[property];
    return typeof value === 'string' ? value : generated(id);
  };
  const describe = (id: string): { ref: string; attributes: Record<string, string> } | undefined => {
    const resource = resources[id];
    if (!resource) return undefined;
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        const name = named(resource, 'FunctionName', id);
        return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
      }
      case 'AWS::Lambda::Alias': {
        const fn = describe(refId(p.FunctionName) ?? '');
        const aliasArn = `${fn?.attributes.Arn ?? arn('lambda', 'function:unknown')}:${String(p.Name)}`;
        return { ref: aliasArn, attributes: { AliasArn: aliasArn } };
      }
      case 'AWS::Lambda::Version': {
        const fn = describe(refId(p.FunctionName) ?? '');
        return { ref: `${fn?.attributes.Arn ?? arn('lambda', 'function:unknown')}:1`, attributes: { Version: '1' } };
      }
      case 'AWS::DynamoDB::Table': {
        const name = named(resource, 'TableName', id);
        return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/sim`) } };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named(resource, 'StateMachineName', id);
        const machineArn = arn('states', `stateMachine:${name}`);
        return { ref: machineArn, attributes: { Arn: machineArn, Name: name } };
      }
      case 'AWS::Events::EventBus': {
        const name = named(resource, 'Name', id);
        return { ref: name, attributes: { Arn: arn('events', `event-bus/${name}`), Name: name } };
      }
      case 'AWS::Events::Rule': {
        const name = named(resource, 'Name', id);
        return { ref: name, attributes: { Arn: arn('events', `rule/${name}`) } };
      }
      case 'AWS::SNS::Topic': {
        const name = named(resource, 'TopicName', id);
        return { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name), TopicName: name } };
      }
      case 'AWS::IAM::Role': {
        const name = named(resource, 'RoleName', id);
        return { ref: name, attributes: { Arn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`, RoleId: `AROA${id.slice(0, 16).toUpperCase()}` } };
      }
      case 'AWS::Route53::HostedZone': {
        // Route 53's ids: Z and 20 upper-case letters and digits.
        const zoneId = `Z${createHash('sha256').update(`${stackName}/${id}`).digest('hex').slice(0, 20).toUpperCase()}`;
        return { ref: zoneId, attributes: { Id: zoneId, NameServers: '' } };
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = named(resource, 'AlarmName', id);
        return { ref: name, attributes: { Arn: arn('cloudwatch', `alarm:${name}`) } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named(resource, 'LogGroupName', id);
        return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
      }
      default:
        // Resources the simulation does not run (VPC, subnets, alarms…) still have names for Ref.
        return { ref: generated(id), attributes: {} };
    }
  };
  return {
    ref: (id) => describe(id)?.ref,
    getAtt: (id, attribute) => describe(id)?.attributes[attribute],
  };
}

function refId(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && 'Ref' in value ? String((value as { Ref: unknown }).Ref) : undefined;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new TemplateError(`cannot read ${file}: ${messageOf(error)}`);
  }
}
