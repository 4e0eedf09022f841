import type { Address } from '../core/types.ts';
import type { FailoverState, PromotionOutput } from '../core/workflow-state.ts';
import { WorkflowInputError } from '../core/errors.ts';

/** The selection a step after SelectSlave relies on; its absence means the workflow was edited wrongly. */
export function requireSelection(state: FailoverState): { promoted: Address; promotedRunId: string | null; selectedAt: number } {
  const selection = state.selection;
  if (!selection?.found || !selection.promoted) throw new WorkflowInputError('workflow state has no selected replica ($.selection.promoted)');
  return { promoted: selection.promoted, promotedRunId: selection.promotedRunId, selectedAt: selection.selectedAt };
}

export function requirePromotionSent(state: FailoverState): PromotionOutput & { sentAt: number } {
  const promotion = state.promotion;
  if (!promotion?.sent || promotion.sentAt === null) throw new WorkflowInputError('workflow state has no sent promotion ($.promotion.sentAt)');
  return { ...promotion, sentAt: promotion.sentAt };
}
