import { fileURLToPath } from 'node:url';

/** Where the Lambda handler files live. */
export const LAMBDAS_DIR = fileURLToPath(new URL('../lambdas/', import.meta.url));
/** `.ts` in a checkout (run by tsx), `.js` in the built package (dist/, `npm run build`). */
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** The file of a handler of lambdas/, by its name without extension, in the form this copy runs. */
export function handlerPath(handler: string): string {
  return `${LAMBDAS_DIR}${handler}${EXTENSION}`;
}

/**
 * One Lambda function per workflow step, by the handler file it bundles. The CDK construct
 * deploys these files; the local runner imports the very same files and calls their `run`.
 */
export const FAILOVER_STEPS = {
  announce: 'announce',
  abortFailover: 'abort-failover',
  selectSlave: 'select-slave',
  sendSlaveofNoOne: 'send-slaveof-noone',
  waitPromotion: 'wait-promotion',
  reconfSlave: 'reconf-slave',
  failoverEnd: 'failover-end',
  switchMaster: 'switch-master',
} as const;

export type StepKey = keyof typeof FAILOVER_STEPS;

export const STEP_KEYS = Object.keys(FAILOVER_STEPS) as StepKey[];

export function stepEntry(step: StepKey): string {
  return handlerPath(FAILOVER_STEPS[step]);
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

/** The probe's handler (lambdas/probe.ts). */
export const PROBE_HANDLER = 'probe';

/** SENTINEL FAILOVER on AWS: a person invokes it; it takes the voters' lease (lambdas/request-failover.ts). */
export const REQUEST_FAILOVER_HANDLER = 'request-failover';

/** Every handler a function of the stack runs: what `npm run build` bundles (scripts/build.ts). */
export const HANDLERS: readonly string[] = [...Object.values(FAILOVER_STEPS), PROBE_HANDLER, REQUEST_FAILOVER_HANDLER];
