/**
 * The JSON document the failover workflow carries from state to state.
 * Each step adds its result under its own key (ResultPath), so the console shows
 * the whole story of an execution in its last state.
 */
import type { ApprovalDetail } from './events.ts';
import type { Address, FailoverInput, FailoverSettings, MasterRef } from './types.ts';
import type { Rejection } from './selection.ts';
import type { FailoverTimeline } from './failover-metrics.ts';

/** Step Functions execution name for one failover: one per master per epoch. */
export function executionName(master: string, epoch: number): string {
  return `${master}-${epoch}`;
}

/** A server to re-point at the promoted replica once promotion is confirmed. */
export interface ReconfTarget extends Address {
  /**
   * Replicas are reconfigured and waited for (`+slave-reconf-*`). The old master and a
   * `stray-master` (a known replica reporting role:master at selection: restarted with a config
   * an earlier promotion rewrote, or promoted by hand) are demoted (`+convert-to-slave`), not
   * waited for. Strays are demoted before the promotion already (SendSlaveofNoOne).
   */
  readonly role: 'replica' | 'old-master' | 'stray-master';
}

/** `$.selection`, written by SelectSlave. */
export interface SelectionOutput {
  readonly found: boolean;
  readonly promoted: Address | null;
  readonly promotedRunId: string | null;
  /** The other replicas, to re-point after promotion (the old master is demoted beside them). */
  readonly others: readonly ReconfTarget[];
  readonly rejected: readonly Rejection[];
  readonly selectedAt: number;
  /**
   * Ask the pre-failover veto before the promotion: the master has `approval` set and nothing was
   * promoted yet (a replica an earlier epoch already promoted is resumed without asking again).
   */
  readonly askApproval: boolean;
}

/** `$.promotion`, written by SendSlaveofNoOne and WaitPromotion. */
export interface PromotionOutput {
  readonly sent: boolean;
  readonly sentAt: number | null;
  readonly confirmed: boolean;
  readonly confirmedAt: number | null;
  readonly timedOut: boolean;
  /**
   * WaitPromotion pointed the primary DNS record at the promoted replica. When it could not (or
   * there is none to keep), SwitchMaster tries before `+switch-master` and fails the step if it cannot.
   */
  readonly dnsUpdated?: boolean;
}

/** Sentinel's per-replica reconfiguration states, plus how a replica can leave the loop early. */
export type ReconfPhase =
  | 'pending'
  | 'sent'
  | 'inprog'
  | 'done'
  /** 10 s in "sent" without the new master showing up in INFO: treated as done (Sentinel). */
  | 'sent-timeout'
  /** Could not be reached: left for later repair, as Sentinel skips down replicas. */
  | 'unreachable'
  /** failover-timeout reached first: FailoverEnd re-points it on a best-effort basis. */
  | 'timeout';

export const FINISHED_PHASES: readonly ReconfPhase[] = ['done', 'sent-timeout', 'unreachable', 'timeout'];

/** One item of the ReconfSlaves Map, carried through its ReconfSlave loop. */
export interface ReconfItem {
  readonly target: ReconfTarget;
  /** The failed master, by its old address: the `@` part of every message during the failover. */
  readonly master: MasterRef;
  readonly promoted: Address;
  readonly settings: FailoverSettings;
  readonly epoch: number;
  /** When promotion was confirmed: failover-timeout bounds reconfiguration from here. */
  readonly reconfStartedAt: number;
  readonly phase: ReconfPhase;
  /** Absent until REPLICAOF was sent (the Map's ItemSelector starts items without it). */
  readonly sentAt?: number | null;
  readonly unreachableSince?: number | null;
  /**
   * DemoteOldMaster only: since when the voters hold the old master down (FailoverInput's), null
   * for a manual failover of a live one. A master judged down gets one quick look, not a wait.
   */
  readonly masterDownSince?: number | null;
}

/** `$.reconf`, written by the Reconfigure state: its two branches. */
export interface ReconfOutput {
  readonly oldMaster: ReconfItem;
  readonly replicas: readonly ReconfItem[];
}

/** `$.end`, written by FailoverEnd. */
export interface EndOutput {
  readonly timedOut: boolean;
  /** Servers that got a best-effort REPLICAOF after the timeout. */
  readonly bestEffort: readonly Address[];
}

/** `$.switched`, written by SwitchMaster. */
export interface SwitchOutput {
  readonly oldMaster: Address;
  readonly newMaster: Address;
  readonly switchedAt: number;
  /** How long the failover and each of its phases took (also written as metrics on AWS). */
  readonly timeline: FailoverTimeline;
}

/** The document as it grows through the workflow. */
export interface FailoverState extends FailoverInput {
  readonly selection?: SelectionOutput;
  /** The approver's answer (SendTaskSuccess's output), when the veto was asked and granted. */
  readonly approval?: unknown;
  readonly promotion?: PromotionOutput;
  readonly reconf?: ReconfOutput;
  readonly end?: EndOutput;
  readonly switched?: SwitchOutput;
}

/** What the announce and abort steps receive (Parameters pick these from the state). */
export interface AnnounceInput {
  readonly events: readonly string[];
  readonly master: MasterRef;
  readonly epoch: number;
  /** AbortNoGoodSlave's: why each replica was refused, said in the events' `reason`. */
  readonly rejected?: readonly Rejection[];
  /** AbortVetoed's: the veto's cause (SendTaskFailure's `cause`), said in the events' `reason`. */
  readonly reason?: string | null;
  /** The replica selected, for the events about it (`+failover-state-send-slaveof-noone` once approved). */
  readonly candidate?: Address | null;
  /** RequestApproval's: what `+failover-approval-requested` carries. */
  readonly approval?: ApprovalDetail;
}
