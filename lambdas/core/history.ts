/**
 * The failover history (`redis-failover history`): each execution of the workflow told as an
 * operator asks about it: which epoch, what triggered it, from which master to which, how each
 * phase went and how it ended. Pure: the executions come from Step Functions (adapters/sfn-history.ts)
 * or the local runner.
 */
import type { EventDetail } from './events.ts';
import type { Address, FailoverInput } from './types.ts';
import type { FailoverState } from './workflow-state.ts';

export type ExecutionStatusName = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** A state of the execution's top level: entered first at, left last at (null: still in it). */
export interface StateSpan {
  readonly name: string;
  readonly type: string;
  readonly enteredAt: number;
  readonly exitedAt: number | null;
}

/** One execution, as its history tells it. */
export interface ExecutionRecord {
  readonly name: string;
  readonly status: ExecutionStatusName;
  readonly startedAt: number;
  readonly stoppedAt: number | null;
  readonly input: FailoverInput | null;
  /** The document as it ended (the output; for a failed one, what the history last shows), when known. */
  readonly output: FailoverState | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly states: readonly StateSpan[];
}

export interface HistoryPhase {
  /** The workflow state (from an execution's history), or the event that starts the phase (from an events file). */
  readonly state: string;
  readonly startedAt: string;
  readonly durationMs: number | null;
}

export interface HistoryEntry {
  readonly master: string;
  readonly epoch: number | null;
  readonly execution: string;
  /** `odown`: the voters judged the master down; `manual`: a person's SENTINEL FAILOVER. */
  readonly trigger: 'odown' | 'manual' | null;
  readonly from: Address | null;
  readonly to: Address | null;
  /** `switched` (+switch-master), `running`, `aborted` (an abort state: `error` says which), `failed`, `timed-out`, `stopped`. */
  readonly result: 'switched' | 'running' | 'aborted' | 'failed' | 'timed-out' | 'stopped';
  readonly error: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number | null;
  readonly phases: readonly HistoryPhase[];
}

/** The workflow's own abort states (lib/failover-workflow.ts): an abort, not a failure of the machinery. */
const ABORTS = new Set(['NoGoodSlave', 'SlaveTimeout', 'Vetoed', 'ApprovalTimeout']);
/** States that take no time worth telling: a decision or an end. */
const SILENT = new Set(['Choice', 'Succeed', 'Fail', 'Pass']);

const iso = (ms: number): string => new Date(ms).toISOString();

export function historyEntry(run: ExecutionRecord): HistoryEntry {
  const epoch = run.input?.epoch ?? epochOfName(run.name);
  const switched = run.output?.switched;
  const result: HistoryEntry['result'] =
    run.status === 'SUCCEEDED'
      ? 'switched'
      : run.status === 'RUNNING'
        ? 'running'
        : run.status === 'FAILED'
          ? ABORTS.has(run.error ?? '')
            ? 'aborted'
            : 'failed'
          : run.status === 'TIMED_OUT'
            ? 'timed-out'
            : 'stopped';
  return {
    master: run.input?.master.name ?? run.name.replace(/-\d+$/, ''),
    epoch,
    execution: run.name,
    trigger: run.input ? (run.input.manual ? 'manual' : 'odown') : null,
    from: run.input ? { host: run.input.master.host, port: run.input.master.port } : null,
    to: switched ? { host: switched.newMaster.host, port: switched.newMaster.port } : null,
    result,
    error: result === 'switched' || result === 'running' ? null : run.error,
    startedAt: iso(run.startedAt),
    endedAt: run.stoppedAt === null ? null : iso(run.stoppedAt),
    durationMs: run.stoppedAt === null ? null : run.stoppedAt - run.startedAt,
    phases: run.states
      .filter((s) => !SILENT.has(s.type))
      .map((s) => ({ state: s.name, startedAt: iso(s.enteredAt), durationMs: s.exitedAt === null ? null : s.exitedAt - s.enteredAt })),
  };
}

/** `<master>-<epoch>`: the epoch, when the name has one. */
function epochOfName(name: string): number | null {
  const match = /-(\d+)$/.exec(name);
  return match ? Number(match[1]) : null;
}

/**
 * The states of a history, each once: a looping state (SendSlaveofNoOne polls) or one run per
 * replica (ReconfSlave) spans from its first entry to its last exit. `events` are in order.
 */
export function stateSpans(
  events: ReadonlyArray<{ readonly kind: 'entered' | 'exited'; readonly name: string; readonly type: string; readonly at: number }>,
): StateSpan[] {
  const spans = new Map<string, { name: string; type: string; enteredAt: number; exitedAt: number | null; open: number }>();
  for (const event of events) {
    const span = spans.get(event.name);
    if (event.kind === 'entered') {
      if (span) {
        span.open++;
        span.exitedAt = null;
      } else spans.set(event.name, { name: event.name, type: event.type, enteredAt: event.at, exitedAt: null, open: 1 });
    } else if (span) {
      span.open = Math.max(0, span.open - 1);
      if (span.open === 0) span.exitedAt = event.at;
    }
  }
  return [...spans.values()].map(({ name, type, enteredAt, exitedAt }) => ({ name, type, enteredAt, exitedAt }));
}

/** The events that mark a phase of a failover, in the order Sentinel says them (the events file's timeline). */
const PHASE_EVENTS = new Set([
  '+try-failover',
  '+failover-triggered',
  '+failover-state-select-slave',
  '+failover-approval-requested',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+failover-state-reconf-slaves',
  '+failover-end',
]);

/** The abort events and the error the workflow's abort state fails with. */
const ABORT_ERRORS: Readonly<Record<string, string>> = {
  '-failover-abort-no-good-slave': 'NoGoodSlave',
  '-failover-abort-slave-timeout': 'SlaveTimeout',
  '-failover-abort-vetoed': 'Vetoed',
  '-failover-abort-approval-timeout': 'ApprovalTimeout',
};

/** One line of an events file (`--events-file`): what `LocalPublisher` appends. */
export interface LoggedEvent {
  readonly type: string;
  readonly time: string;
  readonly detail: EventDetail;
}

/**
 * The failovers an events file tells, newest first: one per execution named in the events, each
 * phase named by the event that starts it and lasting until the next. For a local orchestrator
 * that has stopped (its executions' histories go with it), the file is the record.
 */
export function historyFromEvents(events: readonly LoggedEvent[]): HistoryEntry[] {
  const byExecution = new Map<string, LoggedEvent[]>();
  for (const event of events) {
    const execution = event.detail.execution;
    if (execution === undefined) continue;
    byExecution.set(execution, [...(byExecution.get(execution) ?? []), event]);
  }
  return [...byExecution].map(([execution, told]) => entryOfEvents(execution, told)).sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

function entryOfEvents(execution: string, told: readonly LoggedEvent[]): HistoryEntry {
  const at = (e: LoggedEvent) => Date.parse(e.time);
  const first = told[0]!;
  const elected = told.find((e) => e.type === '+elected-leader');
  const switched = told.find((e) => e.type === '+switch-master');
  const abort = told.find((e) => ABORT_ERRORS[e.type] !== undefined);
  const end = switched ?? abort;
  const phases = told.filter((e) => PHASE_EVENTS.has(e.type));
  const from = told.find((e) => e.detail.masterAddress)?.detail.masterAddress ?? null;
  return {
    master: first.detail.master,
    epoch: first.detail.epoch ?? epochOfName(execution),
    execution,
    trigger: elected ? (elected.detail.voter === 'manual' ? 'manual' : 'odown') : null,
    from: from && { host: from.host, port: from.port },
    to: switched?.detail.newMaster ? { host: switched.detail.newMaster.host, port: switched.detail.newMaster.port } : null,
    result: switched ? 'switched' : abort ? 'aborted' : 'running',
    error: !switched && abort ? ABORT_ERRORS[abort.type]! : null,
    startedAt: iso(at(first)),
    endedAt: end ? iso(at(end)) : null,
    durationMs: end ? at(end) - at(first) : null,
    phases: phases.map((p, i) => {
      const next = phases[i + 1] ?? end;
      return { state: p.type, startedAt: iso(at(p)), durationMs: next ? at(next) - at(p) : null };
    }),
  };
}
