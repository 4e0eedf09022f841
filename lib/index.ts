/**
 * The package's entry point (`import { RedisFailover } from 'redis-failover'`): the construct,
 * its props and errors, the event names it publishes, the workflow alone for those who compose
 * their own, and the stack `cdk deploy` of this repository deploys. docs/API.md is generated from it.
 */
export { RedisFailover, type RedisFailoverProps } from './redis-failover.ts';
export { ConfigError, FailoverError, RedisFailoverPropsError, type ErrorCode } from '../lambdas/core/errors.ts';
export type { RedisAddressProps, RedisMasterProps, RedisSecretAuthProps } from './masters.ts';
export type { DnsEndpointsProps } from './dns-endpoints.ts';
export type { FailoverAlarms } from './monitoring.ts';
export { EVENT_SOURCE } from './event-delivery.ts';
export { SENTINEL_EVENTS, type SentinelEventName } from '../lambdas/core/events.ts';
export { FailoverWorkflow, type FailoverWorkflowProps } from './failover-workflow.ts';
export { RedisFailoverStack, type ExistingVpcProps, type RedisFailoverStackProps } from './failover-stack.ts';
