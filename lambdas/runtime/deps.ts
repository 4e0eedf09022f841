import type { Clock, EventPublisher, FailoverStore, Metrics, RedisLinkOptions } from '../core/interfaces.ts';
import { executionName } from '../core/workflow-state.ts';
import type { MasterEndpoint } from './endpoint.ts';

/**
 * What a workflow step needs from the world. The Lambda entry points build it from
 * their environment (runtime/aws/step.ts); the local runtime builds it from the config file.
 */
export interface StepDeps extends Clock {
  readonly publisher: EventPublisher;
  /** How to reach the servers of one master group: credentials, TLS, timeouts. */
  linkOptions(masterName: string): Promise<RedisLinkOptions>;
  /** Pause between two INFO polls while waiting for a role or link change. */
  readonly pollIntervalMs: number;
  /**
   * How long one invocation may keep polling before it hands back to the workflow,
   * which loops. Keeps every Lambda invocation far from its timeout.
   */
  readonly invocationBudgetMs: number;
  /**
   * The table, when this failover was started by the voters: SwitchMaster records the new
   * master there and the abort states release the lease. A one-shot manual failover has none.
   */
  readonly store?: FailoverStore;
  /** The group's DNS records, when the stack keeps them: moved at the promotion, before `+switch-master`. */
  readonly endpoint?: MasterEndpoint;
  /** Where SwitchMaster writes the failover's durations (EMF on AWS); none locally. */
  readonly metrics?: Metrics;
}

/** Polling defaults: Sentinel checks every 100 ms during a failover; 50 ms costs nothing on a local network. */
export const DEFAULT_POLL_INTERVAL_MS = 50;
export const DEFAULT_INVOCATION_BUDGET_MS = 20_000;

/** The context every event of one failover carries: its epoch and execution name. */
export function failoverEventContext(failover: { readonly master: { readonly name: string }; readonly epoch: number }, deps: Pick<StepDeps, 'now'>) {
  return { epoch: failover.epoch, execution: executionName(failover.master.name, failover.epoch), now: new Date(deps.now()) };
}
