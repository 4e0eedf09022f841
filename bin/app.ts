#!/usr/bin/env node
/** The CDK app: `npx cdk synth` / `npx cdk deploy`. */
import { App } from 'aws-cdk-lib';
import { RedisFailoverStack } from '../lib/failover-stack.ts';

const app = new App();
new RedisFailoverStack(app, 'RedisFailover', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
