/**
 * What an operator asks the orchestrator, one request shape for every way in: the request
 * function's event on AWS, the Sentinel port's commands locally, and the command line through
 * either. Each action is served by its one implementation (failover-request.ts, maintenance.ts,
 * status.ts, core/history.ts); this module only reads the request and routes it.
 */
import { historyEntry, type HistoryEntry } from '../core/history.ts';
import type { FailoverExecutions } from '../core/interfaces.ts';
import { masterForClients } from '../core/store.ts';
import type { Address } from '../core/types.ts';
import { FailoverRefused, UsageError } from '../core/errors.ts';
import { requestFailover, type FailoverRequestDeps, type FailoverStarted } from './failover-request.ts';
import { mastersNamed, pauseFailover, resumeFailover, type PauseState } from './maintenance.ts';
import { masterStatus, type MasterStatus, type StatusDeps } from './status.ts';

export const OPERATOR_ACTIONS = ['failover', 'pause', 'resume', 'status', 'history', 'get-master-addr'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export type OperatorRequest =
  | { readonly action: 'failover'; readonly master: string; readonly coordinated?: boolean }
  | { readonly action: 'pause'; readonly master: string; readonly forMs: number; readonly reason: string; readonly by?: string }
  | { readonly action: 'resume'; readonly master: string }
  | { readonly action: 'status'; readonly master: string }
  | { readonly action: 'history'; readonly master: string; readonly limit?: number }
  | { readonly action: 'get-master-addr'; readonly master: string };

export interface OperatorAnswers {
  readonly failover: FailoverStarted;
  readonly pause: { readonly paused: readonly PauseState[] };
  readonly resume: { readonly resumed: readonly PauseState[] };
  readonly status: { readonly masters: readonly MasterStatus[] };
  readonly history: { readonly failovers: readonly HistoryEntry[] };
  readonly 'get-master-addr': { readonly master: string } & Address;
}

export interface OperatorDeps extends FailoverRequestDeps, Pick<StatusDeps, 'voters'> {
  readonly executions: FailoverExecutions;
}

/** History entries per master, newest first, unless the request says fewer. */
const DEFAULT_HISTORY = 10;

/**
 * The request function's event: `{"action": "…", "master": "…", …}`; without `action` it is a
 * failover, as the function was first invoked (`{"master": "mymaster"}`). One-line errors, before anything is touched.
 */
export function parseOperatorRequest(event: unknown): OperatorRequest {
  const e = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const action = e['action'] ?? 'failover';
  if (typeof action !== 'string' || !(OPERATOR_ACTIONS as readonly string[]).includes(action))
    throw new UsageError(`unknown action ${JSON.stringify(action)}: one of ${OPERATOR_ACTIONS.join(', ')}`);
  const master = e['master'] ?? (action === 'status' || action === 'history' ? '*' : undefined);
  const coordinated = e['coordinated'] ?? false;
  if (action === 'failover' && (typeof master !== 'string' || master === '' || typeof coordinated !== 'boolean'))
    throw new FailoverRefused('UNKNOWN', 'the request must be {"master": "<name>"} naming a master of the config, optionally with "coordinated": true');
  if (typeof master !== 'string' || master === '')
    throw new FailoverRefused('UNKNOWN', `the request must name a master: {"action": "${action}", "master": "<name>" or "*"}`);
  if (master === '*' && (action === 'failover' || action === 'get-master-addr')) throw new UsageError(`${action} names one master, not *`);
  switch (action as OperatorAction) {
    case 'failover':
      return { action: 'failover', master, coordinated: coordinated === true };
    case 'pause': {
      const forMs = e['forMs'];
      const reason = e['reason'];
      if (typeof forMs !== 'number' || typeof reason !== 'string') throw new UsageError('pause needs "forMs" (a number of ms) and "reason" (one line)');
      return { action: 'pause', master, forMs, reason, ...(typeof e['by'] === 'string' && { by: e['by'] }) };
    }
    case 'history': {
      const limit = e['limit'];
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100))
        throw new UsageError('"limit" must be a whole number from 1 to 100');
      return { action: 'history', master, ...(limit !== undefined && { limit }) };
    }
    default:
      return { action: action as 'resume' | 'status' | 'get-master-addr', master };
  }
}

export async function operate<A extends OperatorAction>(request: OperatorRequest & { action: A }, deps: OperatorDeps): Promise<OperatorAnswers[A]>;
export async function operate(request: OperatorRequest, deps: OperatorDeps): Promise<OperatorAnswers[OperatorAction]> {
  switch (request.action) {
    case 'failover':
      return requestFailover(request.master, deps, { coordinated: request.coordinated === true });
    case 'pause':
      return { paused: await pauseFailover(request, deps) };
    case 'resume':
      return { resumed: await resumeFailover(request.master, deps) };
    case 'status':
      return { masters: await masterStatus(request.master, deps) };
    case 'history': {
      const limit = request.limit ?? DEFAULT_HISTORY;
      const runs = await Promise.all(mastersNamed(request.master, deps.masters).map((m) => deps.executions.list(m.name, limit)));
      const failovers = runs
        .flat()
        .map(historyEntry)
        .sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      return { failovers };
    }
    case 'get-master-addr': {
      const [master] = mastersNamed(request.master, deps.masters);
      const record = await deps.store.getMaster(master!.name);
      const address = record ? masterForClients(record) : { host: master!.host, port: master!.port };
      return { master: master!.name, ...address };
    }
  }
}
