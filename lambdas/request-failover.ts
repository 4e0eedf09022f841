/**
 * SENTINEL FAILOVER <name> [COORDINATED] on AWS: invoked by a person (`aws lambda invoke`, the
 * console), it takes the voters' lease and starts the workflow, or answers INPROG / NOGOODSLAVE.
 * With `"coordinated": true` the live master first hands over to the chosen replica (no
 * acknowledged write lost); the invocation returns once they have swapped.
 */
import { ORCHESTRATOR_ENV_KEYS, orchestratorFromEnv } from './runtime/aws/orchestrator.ts';
import { perEnv } from './runtime/aws/env-cache.ts';
import { isWarmUp } from './runtime/aws/step.ts';
import { requestFailover, type FailoverStarted } from './runtime/failover-request.ts';
import { awsLogger } from './runtime/aws/log.ts';
import { FailoverRefused } from './core/errors.ts';

export interface FailoverRequest {
  readonly master: string;
  readonly coordinated: boolean;
}

/** Built once per container, again when its environment changes (runtime/aws/env-cache.ts). */
const orchestrator = perEnv(ORCHESTRATOR_ENV_KEYS, orchestratorFromEnv, (previous) => previous.destroy());

/** Throws a one-line error for an event that does not name a master, before touching anything. */
export function parseRequest(event: unknown): FailoverRequest {
  const { master, coordinated = false } = (event ?? {}) as { master?: unknown; coordinated?: unknown };
  if (typeof master !== 'string' || master === '' || typeof coordinated !== 'boolean') {
    throw new FailoverRefused('UNKNOWN', 'the request must be {"master": "<name>"} naming a master of the config, optionally with "coordinated": true');
  }
  return { master, coordinated };
}

/** Refusals throw FailoverRefused: Lambda reports `errorType: FailoverRefused`, `errorMessage: INPROG …`. */
export const handler = async (event: unknown): Promise<FailoverStarted | { warm: true }> => {
  // The warm-up schedule (lib/warm-up.ts): a person's request then finds a warm container.
  if (isWarmUp(event)) return { warm: true };
  const request = parseRequest(event);
  const deps = orchestrator();
  const started = await requestFailover(request.master, { ...deps, masters: deps.config.masters }, { coordinated: request.coordinated });
  // The log line an operator looks for; names and addresses only.
  const how = started.handedOver ? 'handed over to' : 'candidate';
  awsLogger.info(`failover of ${started.master} requested: ${started.execution}, ${how} ${started.candidate.host}:${started.candidate.port}`, {
    master: started.master,
    epoch: started.epoch,
    execution: started.execution,
  });
  return started;
};
