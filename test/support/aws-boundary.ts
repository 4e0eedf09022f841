import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach } from 'vitest';

export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:redis-failover';

/**
 * EventBridge and Step Functions mocked at the API boundary for a test file, reset before each
 * test: PutEvents and StartExecution succeed, every execution reports RUNNING.
 */
export function mockAwsBoundary() {
  const eventBridge = mockClient(EventBridgeClient);
  const sfn = mockClient(SFNClient);
  beforeEach(() => {
    eventBridge.reset();
    sfn.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:x`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  });
  afterAll(() => {
    eventBridge.restore();
    sfn.restore();
  });
  return { eventBridge, sfn };
}
