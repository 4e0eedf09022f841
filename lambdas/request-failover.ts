/**
 * SENTINEL FAILOVER <name> on AWS: invoked by a person (`aws lambda invoke`, the console),
 * it takes the voters' lease and starts the workflow, or answers INPROG / NOGOODSLAVE.
 */
import { orchestratorFromEnv, type Orchestrator } from './runtime/aws.ts';
import { FailoverRefused, requestFailover, type FailoverStarted } from './runtime/failover-request.ts';

export interface FailoverRequest {
  readonly master: string;
}

let cached: Orchestrator | undefined;

/** Throws a one-line error for an event that does not name a master, before touching anything. */
export function parseRequest(event: unknown): FailoverRequest {
  const master = (event as { master?: unknown } | null)?.master;
  if (typeof master !== 'string' || master === '') {
    throw new FailoverRefused('UNKNOWN', 'the request must be {"master": "<name>"}, naming a master of the config');
  }
  return { master };
}

/** Refusals throw FailoverRefused: Lambda reports `errorType: FailoverRefused`, `errorMessage: INPROG …`. */
export const handler = async (event: unknown): Promise<FailoverStarted> => {
  const request = parseRequest(event);
  cached ??= orchestratorFromEnv(process.env);
  const started = await requestFailover(request.master, { ...cached, masters: cached.config.masters });
  // The log line an operator looks for; names and addresses only.
  console.log(`failover of ${started.master} requested: ${started.execution}, candidate ${started.candidate.host}:${started.candidate.port}`);
  return started;
};
