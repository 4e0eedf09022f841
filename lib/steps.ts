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
