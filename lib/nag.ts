/**
 * cdk-nag acknowledgements, each with the reason the finding is accepted. They sit next to the
 * resource they concern (this module only spells the finding ids).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/** Acknowledges one finding (`AwsSolutions-<rule>[<finding>]`, `Serverless-<rule>`), qualified by the pack that reports it. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  const pack = id.slice(0, id.indexOf('-'));
  Validations.of(scope).acknowledge({ id: `${pack}::${id}`, reason });
}

/**
 * The `<function ARN>:*` finding CDK's `grantInvoke` produces: it grants the function and its
 * qualified ARNs (versions, aliases), of exactly that function.
 */
export function invokeWildcardFinding(fn: IFunction): string {
  const cfn = fn.node.defaultChild as CfnFunction;
  const stack = Stack.of(fn);
  return `AwsSolutions-IAM5[Resource::<${stack.resolve(stack.getLogicalId(cfn)) as string}.Arn>:*]`;
}
