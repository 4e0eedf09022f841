/**
 * Reading a synthesized CloudFormation template on this machine: its shape, and the intrinsic
 * functions CDK writes into it (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::GetAZs),
 * resolved against the names a local runtime gives the resources. The local runner resolves the
 * state machine definition with it; the AWS simulation, every property it runs.
 */
import { TemplateError } from '../lambdas/core/errors.ts';

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CloudFormationTemplate {
  readonly Resources: Record<string, TemplateResource>;
}

/** What a Ref or an Fn::GetAtt of one resource stands for. */
export interface ResourceNames {
  /** Ref: a name, or an ARN, as the resource type defines it; undefined when unknown. */
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): string | undefined;
}

export const LOCAL_REGION = 'local-1';
export const LOCAL_ACCOUNT = '000000000000';

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  // One stack of this machine's account; the uuid is what a CloudFormation stack id ends with.
  'AWS::StackId': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/local/00000000-0000-4000-8000-000000000000`,
};

/** Resolves every intrinsic in `value`; `what` names the property in an error ("the state machine definition"). */
export function resolveIntrinsics(value: unknown, names: ResourceNames, what: string): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, names, what));
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const intrinsic = keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')) ? keys[0]! : null;
  if (intrinsic === null) return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(record[k], names, what)]));
  const argument = record[intrinsic];
  const text = (v: unknown): string => String(resolveIntrinsics(v, names, what));
  switch (intrinsic) {
    case 'Ref': {
      const id = String(argument);
      const resolved = PSEUDO[id] ?? names.ref(id);
      if (resolved === undefined) throw new TemplateError(`cannot resolve Ref ${id} locally`);
      return resolved;
    }
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(argument) ? (argument as [string, string]) : String(argument).split(/\.(.*)/s);
      const resolved = names.getAtt(String(id), String(attribute));
      if (resolved === undefined) throw new TemplateError(`cannot resolve Fn::GetAtt ${String(id)}.${String(attribute)} locally`);
      return resolved;
    }
    case 'Fn::Join': {
      const [separator, parts] = argument as [string, unknown];
      const list = resolveIntrinsics(parts, names, what);
      if (!Array.isArray(list)) throw new TemplateError(`Fn::Join of something that is not a list in ${what}`);
      return list.map((part) => String(part)).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = argument as [unknown, unknown];
      const items = resolveIntrinsics(list, names, what);
      const at = Number(resolveIntrinsics(index, names, what));
      if (!Array.isArray(items) || !Number.isInteger(at) || at < 0 || at >= items.length)
        throw new TemplateError(`Fn::Select index ${at} out of range in ${what}`);
      return items[at];
    }
    case 'Fn::Split': {
      const [separator, source] = argument as [string, unknown];
      return text(source).split(separator);
    }
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(argument) ? (argument as [string, Record<string, unknown>]) : [String(argument), {}];
      return template.replace(/\$\{([^}!][^}]*)\}/g, (_, name: string) => {
        if (name in variables) return text(variables[name]);
        if (name.includes('.')) return text({ 'Fn::GetAtt': name });
        return text({ Ref: name });
      });
    }
    case 'Fn::GetAZs':
      // The zones of the simulated region, as a demo VPC picks them.
      return ['a', 'b', 'c', 'd', 'e', 'f'].map((letter) => `${LOCAL_REGION}${letter}`);
    default:
      throw new TemplateError(`unsupported intrinsic in ${what}: ${intrinsic}`);
  }
}
