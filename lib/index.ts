/**
 * The package's entry point (`import { RedisFailover } from 'redis-failover'`): the construct,
 * its props and errors, and the parts it is made of for those who compose their own.
 */
export { RedisFailover, RedisFailoverPropsError, type RedisFailoverProps } from './redis-failover.ts';
export { SENTINEL_EVENTS, type SentinelEventName } from '../lambdas/core/events.ts';
export type { RedisAddressProps, RedisMasterProps, RedisSecretAuthProps } from './masters.ts';
export { DnsEndpoints, type DnsEndpointsProps } from './dns-endpoints.ts';
export { FailoverMonitoring, type FailoverAlarms, type FailoverMonitoringProps } from './monitoring.ts';
export { FailoverDashboard, type FailoverDashboardProps } from './dashboard.ts';
export { EventDelivery, EVENT_SOURCE, type EventDeliveryProps } from './event-delivery.ts';
export { FailoverWorkflow, type FailoverWorkflowProps } from './failover-workflow.ts';
export { FailoverNetwork, type FailoverNetworkProps } from './network.ts';
export { Probes, type ProbesProps } from './probes.ts';
export { WarmUp, type WarmUpProps, type WarmUpTarget } from './warm-up.ts';
export { RedisFailoverStack, type ExistingVpcProps, type RedisFailoverStackProps } from './failover-stack.ts';
