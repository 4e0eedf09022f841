#!/usr/bin/env node
/**
 * The example app: one stack of yours with RedisFailover in it. `npx cdk synth` (offline) or
 * `npx cdk deploy -c vpcId=… -c privateSubnetIds=… -c privateSubnetRouteTableIds=… -c redisSecurityGroupId=…` with your own values
 * (the defaults in cdk.json are placeholders). cdk-nag's AwsSolutions and Serverless packs run
 * on every synth: a finding nobody acknowledged stops it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { CacheStack } from '../lib/cache-stack.js';

const app = new App();
const context = (key: string): string => {
  const value: unknown = app.node.tryGetContext(key);
  if (typeof value !== 'string' || value === '') throw new Error(`-c ${key}=… is missing`);
  return value;
};
const list = (key: string): string[] =>
  context(key)
    .split(',')
    .map((item) => item.trim());

new CacheStack(app, 'Cache', {
  vpcId: context('vpcId'),
  vpcCidr: context('vpcCidr'),
  availabilityZones: list('availabilityZones'),
  privateSubnetIds: list('privateSubnetIds'),
  privateSubnetRouteTableIds: list('privateSubnetRouteTableIds'),
  redisSecurityGroupId: context('redisSecurityGroupId'),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
