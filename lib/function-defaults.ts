/** What every function of the stack shares: runtime, bundling, and an execution role of its own. */
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** The latest Node.js runtime Lambda offers (cdk-nag AwsSolutions-L1); the code itself needs Node ≥ 20. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;
/** The SDK v3 clients come with the runtime; everything else is bundled by the local esbuild. */
export const LAMBDA_BUNDLING: BundlingOptions = { minify: true, sourceMap: true, target: 'node24', externalModules: ['@aws-sdk/*'], logLevel: LogLevel.ERROR };

/** What every log group of the stack shares: RedisFailoverProps logRetention, logRemovalPolicy, encryptionKey. */
export type LogGroupOptions = Pick<logs.LogGroupProps, 'retention' | 'removalPolicy' | 'encryptionKey'>;

/** The network interface actions Lambda needs to place a function in a VPC (those of AWSLambdaVPCAccessExecutionRole). */
const VPC_ACCESS_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/**
 * An execution role for one function instead of the AWS managed policies: it may write to its own
 * log group only and, in a VPC, manage its network interfaces. Both are inline in the role, so they
 * exist before the function (Lambda checks the network interface permissions when it creates it).
 * Grants added later (table, bus, secrets) go to the role's default policy.
 */
export function executionRole(scope: Construct, id: string, options: { readonly logGroup: logs.ILogGroup; readonly inVpc: boolean }): iam.Role {
  const statements = [new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [options.logGroup.logGroupArn] })];
  if (options.inVpc) statements.push(new iam.PolicyStatement({ actions: VPC_ACCESS_ACTIONS, resources: ['*'] }));
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: { Execution: new iam.PolicyDocument({ statements }) },
  });
  const starReason =
    'Only the EC2 network-interface actions Lambda performs to attach the function to its VPC subnets (ec2:Describe* have no resource-level permissions, and the interfaces are created by the Lambda service under ids unknown in advance), and with tracing the X-Ray actions xray:PutTraceSegments / PutTelemetryRecords, which have none either.';
  if (options.inVpc) acknowledge(role, 'AwsSolutions-IAM5[Resource::*]', starReason);
  acknowledge(role, 'Serverless-LambdaStarPermissions', starReason);
  return role;
}
