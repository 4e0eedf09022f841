/**
 * The metrics AWS services publish of themselves, as the simulation's services saw the same
 * happen: Lambda's Errors, Throttles and Invocations per FunctionName, and Step Functions'
 * ExecutionsStarted / Succeeded / Failed / TimedOut / Aborted per StateMachineArn, EventBridge's
 * FailedInvocations per RuleName. With the
 * functions' own EMF points (sim/cloudwatch.ts), every alarm of the template can be evaluated
 * from what happened in a run, not from a metric a test made up.
 */
import type { DataPoint } from './cloudwatch.ts';
import type { LambdaService } from './lambda/service.ts';
import type { EventBridgeStandIn } from './services/eventbridge.ts';
import type { SimExecution } from './services/step-functions.ts';

const point = (namespace: string, name: string, dimensions: Record<string, string>, timestamp: number): DataPoint => ({
  namespace,
  name,
  dimensions,
  value: 1,
  timestamp,
});

export function lambdaPoints(lambda: Pick<LambdaService, 'invocations' | 'throttles'>): DataPoint[] {
  return [
    ...lambda.invocations.flatMap((i) => [
      point('AWS/Lambda', 'Invocations', { FunctionName: i.function }, i.startedAt),
      ...(i.outcome === 'ok' ? [] : [point('AWS/Lambda', 'Errors', { FunctionName: i.function }, i.endedAt)]),
    ]),
    ...lambda.throttles.map((t) => point('AWS/Lambda', 'Throttles', { FunctionName: t.function }, t.at)),
  ];
}

const STOPPED: Record<string, string> = {
  SUCCEEDED: 'ExecutionsSucceeded',
  FAILED: 'ExecutionsFailed',
  TIMED_OUT: 'ExecutionsTimedOut',
  ABORTED: 'ExecutionsAborted',
};

export function stepFunctionsPoints(executions: readonly SimExecution[]): DataPoint[] {
  return executions.flatMap((e) => {
    const dims = { StateMachineArn: e.stateMachineArn };
    const stopped = STOPPED[e.status];
    return [
      point('AWS/States', 'ExecutionsStarted', dims, e.startDate),
      ...(stopped && e.stopDate !== undefined ? [point('AWS/States', stopped, dims, e.stopDate)] : []),
    ];
  });
}

export function eventBridgePoints(events: Pick<EventBridgeStandIn, 'failedInvocations'>): DataPoint[] {
  return events.failedInvocations.map((f) => point('AWS/Events', 'FailedInvocations', { RuleName: f.rule }, f.at));
}
