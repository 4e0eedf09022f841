import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { FailoverWorkflow } from './failover-workflow.ts';

export interface RedisFailoverStackProps extends StackProps {
  /**
   * Name of the custom event bus that receives every Sentinel event.
   * @default 'redis-failover'
   */
  readonly eventBusName?: string;
}

/** The deployable unit: an event bus and the failover workflow. */
export class RedisFailoverStack extends Stack {
  readonly eventBus: events.EventBus;
  readonly workflow: FailoverWorkflow;

  constructor(scope: Construct, id: string, props: RedisFailoverStackProps = {}) {
    super(scope, id, props);
    this.eventBus = new events.EventBus(this, 'EventBus', { eventBusName: props.eventBusName ?? 'redis-failover' });
    this.workflow = new FailoverWorkflow(this, 'Failover', { eventBus: this.eventBus });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
  }
}
