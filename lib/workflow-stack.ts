import { Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { FailoverWorkflow } from './failover-workflow.ts';

/**
 * Id of the RedisFailover construct in RedisFailoverStack, and of the workflow here: the step
 * functions' logical ids (`Failover<Step>Function<hash>`) come from it, and they are what the
 * state machine definition refers to.
 */
export const FAILOVER_CONSTRUCT_ID = 'Failover';

/**
 * The FailoverWorkflow alone, at the construct path it has in RedisFailoverStack, so its state
 * machine definition is the deployed one, token for token. The local runner synthesizes this at
 * every start instead of the whole stack (no VPC, probes, alarms: a quicker start). A test checks
 * the definition against `cdk synth` of bin/app.ts.
 */
export class FailoverWorkflowStack extends Stack {
  readonly workflow: FailoverWorkflow;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const eventBus = new events.EventBus(this, 'EventBus', { eventBusName: 'redis-failover' });
    this.workflow = new FailoverWorkflow(this, FAILOVER_CONSTRUCT_ID, { eventBus });
  }
}
