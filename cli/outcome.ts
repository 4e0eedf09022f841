import { addressKey } from '../lambdas/core/address.ts';
import { rejectionsText } from '../lambdas/core/selection.ts';
import type { LocalExecution } from '../local/workflow-runner.ts';

/** One line that says how a failover ended and, when it aborted, why. */
export function describeOutcome(execution: LocalExecution): { ok: boolean; summary: string } {
  if (execution.status === 'SUCCEEDED' && execution.output?.switched) {
    const { newMaster } = execution.output.switched;
    return { ok: true, summary: `failover ${execution.name} done: new master ${addressKey(newMaster)}` };
  }
  const rejected = execution.lastState?.selection?.rejected ?? [];
  const why = execution.error === 'NoGoodSlave' ? `no replica qualifies: ${rejectionsText(rejected)}` : (execution.cause ?? 'unknown reason');
  return { ok: false, summary: `failover ${execution.name} aborted (${execution.error}): ${why}` };
}
