import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { FailoverInput } from '../core/types.ts';
import { executionName } from '../core/workflow-state.ts';
import type { ExecutionStatus, FailoverStarter } from '../core/interfaces.ts';

export interface SfnStarterOptions {
  readonly stateMachineArn: string;
  readonly client?: SFNClient;
}

/** Starts the deployed state machine with StartExecution. */
export class SfnStarter implements FailoverStarter {
  readonly #client: SFNClient;
  readonly #arn: string;

  constructor(options: SfnStarterOptions) {
    this.#client = options.client ?? new SFNClient({});
    this.#arn = options.stateMachineArn;
  }

  async start(input: FailoverInput): Promise<void> {
    try {
      await this.#client.send(
        new StartExecutionCommand({ stateMachineArn: this.#arn, name: executionName(input.master.name, input.epoch), input: JSON.stringify(input) }),
      );
    } catch (error) {
      // Same name, same epoch: another voter (or our own retry) started this very failover.
      if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }

  async status(execution: string): Promise<ExecutionStatus> {
    // arn:aws:states:<region>:<account>:stateMachine:<name> → …:execution:<name>:<execution>
    const executionArn = `${this.#arn.replace(':stateMachine:', ':execution:')}:${execution}`;
    try {
      const out = await this.#client.send(new DescribeExecutionCommand({ executionArn }));
      return out.status === 'RUNNING' || out.status === 'PENDING_REDRIVE' ? 'running' : 'finished';
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return 'unknown';
      throw error;
    }
  }
}
