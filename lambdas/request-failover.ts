/**
 * The operator's way in on AWS (`aws lambda invoke`, the console, `redis-failover … --function`):
 * SENTINEL FAILOVER <name> [COORDINATED] by default, and the other operator actions by `action`
 * (runtime/operator.ts): `pause`, `resume`, `status`, `history`, `get-master-addr`. A failover takes
 * the voters' lease and starts the workflow, or is refused (INPROG / NOGOODSLAVE); with
 * `"coordinated": true` the live master first hands over to the chosen replica.
 */
import { ORCHESTRATOR_ENV_KEYS, orchestratorFromEnv } from './runtime/aws/orchestrator.ts';
import { perEnv } from './runtime/aws/env-cache.ts';
import { isWarmUp } from './runtime/aws/step.ts';
import { awsLogger } from './runtime/aws/log.ts';
import { operate, parseOperatorRequest, type OperatorAnswers, type OperatorAction } from './runtime/operator.ts';

/** Built once per container, again when its environment changes (runtime/aws/env-cache.ts). */
const orchestrator = perEnv(ORCHESTRATOR_ENV_KEYS, orchestratorFromEnv, (previous) => previous.destroy());

/** Refusals throw FailoverRefused: Lambda reports `errorType: FailoverRefused`, `errorMessage: INPROG …`. */
export const handler = async (event: unknown): Promise<OperatorAnswers[OperatorAction] | { warm: true }> => {
  // The warm-up schedule (lib/warm-up.ts): a person's request then finds a warm container.
  if (isWarmUp(event)) return { warm: true };
  const request = parseOperatorRequest(event);
  const deps = orchestrator();
  const answer = await operate(request, { ...deps, masters: deps.config.masters });
  // The log lines an operator looks for; names and addresses only.
  if (request.action === 'failover') {
    const started = answer as OperatorAnswers['failover'];
    const how = started.handedOver ? 'handed over to' : 'candidate';
    const paused = started.paused ? ` (paused until ${started.paused.until}: a manual failover runs anyway)` : '';
    awsLogger.info(`failover of ${started.master} requested: ${started.execution}, ${how} ${started.candidate.host}:${started.candidate.port}${paused}`, {
      master: started.master,
      epoch: started.epoch,
      execution: started.execution,
    });
  } else if (request.action === 'pause' || request.action === 'resume') {
    awsLogger.info(`${request.action} of ${request.master} done`, { master: request.master, action: request.action });
  }
  return answer;
};
