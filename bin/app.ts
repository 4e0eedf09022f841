#!/usr/bin/env node
/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`, offline with no arguments (examples/config.json
 * and a demo VPC), or `-c config=cluster.json -c vpcId=… -c subnetIds=… -c availabilityZones=…
 * -c vpcCidr=…` for your VPC (see docs/deploy.md); a `-c` key it does not read is refused by name
 * (lib/context-keys.ts). cdk-nag's AwsSolutions checks run on every synth: an unacknowledged
 * finding stops it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { stackPropsFromContext } from '../lib/app-context.ts';
import { RedisFailoverStack } from '../lib/failover-stack.ts';
import { ConfigError } from '../lambdas/core/errors.ts';

const app = new App();
try {
  // Environment-agnostic: no lookup, no credentials needed to synthesize; deploy picks the profile's account and region.
  new RedisFailoverStack(app, 'RedisFailover', stackPropsFromContext(app.node));
} catch (error) {
  // A config file's, a -c value's (ContextError) and the construct's props' (RedisFailoverPropsError): one line each.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
