/**
 * `FailoverExecutions` on the deployed state machine: ListExecutions for a master's failovers
 * (named `<master>-<epoch>`), DescribeExecution for the input and output, GetExecutionHistory
 * for the phases. What `redis-failover history --function …` reads through the request function.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { stateSpans, type ExecutionRecord, type ExecutionStatusName } from '../core/history.ts';
import type { FailoverExecutions } from '../core/interfaces.ts';
import type { FailoverInput } from '../core/types.ts';
import type { FailoverState } from '../core/workflow-state.ts';

/** Pages of ListExecutions looked through for one master's (other masters' executions share the machine). */
const LIST_PAGES = 5;

export class SfnExecutions implements FailoverExecutions {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async list(master: string, limit: number): Promise<ExecutionRecord[]> {
    const ours = new RegExp(`^${master.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
    const arns: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < LIST_PAGES && arns.length < limit; page++) {
      const out = await this.client.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, maxResults: 100, nextToken }));
      for (const e of out.executions ?? []) if (e.name && e.executionArn && ours.test(e.name) && arns.length < limit) arns.push(e.executionArn);
      nextToken = out.nextToken;
      if (!nextToken) break;
    }
    return Promise.all(arns.map((arn) => this.record(arn)));
  }

  private async record(executionArn: string): Promise<ExecutionRecord> {
    const [described, events] = await Promise.all([this.client.send(new DescribeExecutionCommand({ executionArn })), this.history(executionArn)]);
    const status = (described.status === 'PENDING_REDRIVE' ? 'RUNNING' : (described.status ?? 'RUNNING')) as ExecutionStatusName;
    return {
      name: described.name ?? executionArn.split(':').pop()!,
      status,
      startedAt: described.startDate?.getTime() ?? 0,
      stoppedAt: described.stopDate?.getTime() ?? null,
      input: parsed<FailoverInput>(described.input),
      output: parsed<FailoverState>(described.output),
      error: described.error ?? null,
      cause: described.cause ?? null,
      states: stateSpans(events.flatMap(stateEvent)),
    };
  }

  private async history(executionArn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: false }));
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
    } while (nextToken);
    return events;
  }
}

/** `TaskStateEntered` → entered a Task state; anything else is not a state's entry or exit. */
function stateEvent(event: HistoryEvent): Array<{ kind: 'entered' | 'exited'; name: string; type: string; at: number }> {
  const match = /^([A-Za-z]+)State(Entered|Exited)$/.exec(event.type ?? '');
  const name = event.stateEnteredEventDetails?.name ?? event.stateExitedEventDetails?.name;
  if (!match || !name) return [];
  return [{ kind: match[2] === 'Entered' ? 'entered' : 'exited', name, type: match[1]!, at: event.timestamp?.getTime() ?? 0 }];
}

function parsed<T>(text: string | undefined): T | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
