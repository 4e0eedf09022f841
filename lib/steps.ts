import { fileURLToPath } from 'node:url';

/** Where the Lambda handler files live. */
export const LAMBDAS_DIR = fileURLToPath(new URL('../lambdas/', import.meta.url));

/**
 * One Lambda function per workflow step, by the handler file it bundles. The CDK construct
 * deploys these files; the local runner imports the very same files and calls their `run`.
 */
export const FAILOVER_STEPS = {
  announce: 'announce.ts',
  abortFailover: 'abort-failover.ts',
  selectSlave: 'select-slave.ts',
  sendSlaveofNoOne: 'send-slaveof-noone.ts',
  waitPromotion: 'wait-promotion.ts',
  reconfSlave: 'reconf-slave.ts',
  failoverEnd: 'failover-end.ts',
  switchMaster: 'switch-master.ts',
} as const;

export type StepKey = keyof typeof FAILOVER_STEPS;

export const STEP_KEYS = Object.keys(FAILOVER_STEPS) as StepKey[];

export function stepEntry(step: StepKey): string {
  return `${LAMBDAS_DIR}${FAILOVER_STEPS[step]}`;
}

/** The table actions the DynamoDbStore methods a function calls need (lambdas/adapters/dynamodb-store.ts). */
export type TableAction = 'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:Query';

export interface StepAccess {
  /** Connects to the Redis servers (so it reads their credentials). */
  readonly redis: boolean;
  /** What it does to the table; empty: it never touches it (and gets no TABLE_NAME). */
  readonly table: readonly TableAction[];
  /** Writes the DNS endpoints' records, when the stack keeps them (lib/dns-endpoints.ts). */
  readonly dns: boolean;
}

/**
 * What each step touches besides the bus, for least-privilege grants. Kept next to the handlers'
 * use of `deps.linkOptions` and `deps.store` (a test checks the handlers against it).
 */
export const STEP_ACCESS: Readonly<Record<StepKey, StepAccess>> = {
  announce: { redis: false, table: [], dns: false },
  // abortFailover: lease release (UpdateItem guarded by the epoch, GetItem when refused).
  abortFailover: { redis: false, table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], dns: false },
  // The input checked against the table: the master of record (GetItem), its known replicas (Query).
  selectSlave: { redis: true, table: ['dynamodb:GetItem', 'dynamodb:Query'], dns: false },
  // recordPromotion.
  sendSlaveofNoOne: { redis: true, table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], dns: false },
  // recordPromotion again, confirmed: clients are given the promoted replica from +promoted-slave on (the primary DNS record too).
  waitPromotion: { redis: true, table: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], dns: true },
  reconfSlave: { redis: true, table: [], dns: false },
  failoverEnd: { redis: true, table: [], dns: false },
  // completeFailover, upsertReplicas (the old master), removeReplica (the promoted one); the primary record if WaitPromotion could not.
  switchMaster: { redis: false, table: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], dns: true },
};

/**
 * The probe: getMaster/ensureMaster, votes (PutItem, Query), replicas (PutItem, Query), the leadership write (UpdateItem).
 * The failover request needs a subset of the same (getMaster/ensureMaster, listReplicas, the leadership write).
 */
export const PROBE_TABLE_ACTIONS: readonly TableAction[] = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'];

/** Where the probe handler lives. */
export const PROBE_ENTRY = `${LAMBDAS_DIR}probe.ts`;

/** SENTINEL FAILOVER on AWS: a person invokes it; it takes the voters' lease (lambdas/request-failover.ts). */
export const REQUEST_FAILOVER_ENTRY = `${LAMBDAS_DIR}request-failover.ts`;
