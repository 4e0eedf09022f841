import type { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

/** The `source` of every event (EventBridgePublisher's default in lambdas/adapters/eventbridge-publisher.ts). */
export const EVENT_SOURCE = 'io.github.redis-failover';

export interface EventDeliveryProps {
  readonly eventBusName: string;
  readonly archiveRetention: Duration;
  readonly topicKey?: kms.IKey;
}

/**
 * Where the events go: a custom bus, an archive of everything on it (replay a failover's events
 * to a new rule), and the example rule on `+switch-master` delivering to an SNS topic the user
 * subscribes to: the replacement for Sentinel's client-reconfig-script.
 */
export class EventDelivery extends Construct {
  readonly eventBus: events.EventBus;
  readonly archive: events.Archive;
  readonly switchMasterRule: events.Rule;
  readonly switchMasterTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    this.eventBus = new events.EventBus(this, 'Bus', { eventBusName: props.eventBusName, description: 'redis-failover: every Sentinel event, detail-type = the event name' });
    this.archive = this.eventBus.archive('Archive', {
      description: 'redis-failover events, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention,
    });
    this.switchMasterTopic = new sns.Topic(this, 'SwitchMasterTopic', {
      displayName: 'redis-failover +switch-master',
      enforceSSL: true,
      masterKey: props.topicKey,
    });
    // EventBridge must be able to encrypt for the topic (effective when the key is in this stack).
    props.topicKey?.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.switchMasterRule = new events.Rule(this, 'SwitchMasterRule', {
      eventBus: this.eventBus,
      description: 'A failover ended: the new master is the master of record (+switch-master)',
      eventPattern: { source: [EVENT_SOURCE], detailType: ['+switch-master'] },
      targets: [new targets.SnsTopic(this.switchMasterTopic)],
    });
    acknowledge(
      this.switchMasterRule,
      'Serverless-EventBusDLQ',
      'A +switch-master the topic refuses is not lost from sight: the SwitchMasterDeliveryFailed alarm pages on the rule\'s FailedInvocations, the event stays in the bus archive for replay, and the new master is in the table and the functions\' logs.',
    );
  }
}
