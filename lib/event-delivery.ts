import { Names, Stack, type Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../lambdas/core/events.ts';
import { acknowledge } from './nag.ts';

/** The `source` of every event the functions publish (one constant for both sides: the functions cannot import aws-cdk-lib). */
export { EVENT_SOURCE } from '../lambdas/core/events.ts';

export interface EventDeliveryProps {
  /** @default - a bus of its own */
  readonly eventBus?: events.IEventBus;
  /** Of the bus it makes. @default - generated, unique in the account */
  readonly eventBusName?: string;
  readonly archiveRetention: Duration;
  /** Encrypts the bus it makes and the archive. @default - AWS owned keys */
  readonly encryptionKey?: kms.IKey;
  /** @default - not encrypted at rest */
  readonly topicKey?: kms.IKey;
}

/**
 * Where the events go: a custom bus, an archive of everything on it (replay a failover's events
 * to a new rule), and the example rule on `+switch-master` delivering to an SNS topic the user
 * subscribes to: the replacement for Sentinel's client-reconfig-script.
 */
export class EventDelivery extends Construct {
  readonly eventBus: events.IEventBus;
  readonly archive: events.Archive;
  readonly switchMasterRule: events.Rule;
  readonly switchMasterTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: EventDeliveryProps) {
    super(scope, id);
    // A literal name, unique in the account as the construct's path is: the key's policy names the bus by it.
    const eventBusName = props.eventBusName ?? Names.uniqueResourceName(this, { maxLength: 256 });
    const ownBus =
      props.eventBus === undefined
        ? new events.EventBus(this, 'Bus', {
            eventBusName,
            ...(props.encryptionKey && { kmsKey: props.encryptionKey }),
            description: 'redis-failover: every Sentinel event, detail-type = the event name',
          })
        : undefined;
    this.eventBus = props.eventBus ?? ownBus!;
    // With a key, the archive names the bus by its ARN in the key's policy: a literal one (the bus's own would be a cycle).
    const archived =
      ownBus && props.encryptionKey
        ? events.EventBus.fromEventBusAttributes(this, 'BusByName', {
            eventBusName,
            eventBusArn: Stack.of(this).formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName }),
            eventBusPolicy: '',
          })
        : this.eventBus;
    // Under the bus it makes, as `EventBus.archive` puts it (a logical id that stays: replacing an archive loses it).
    this.archive = new events.Archive(ownBus ?? this, 'Archive', {
      sourceEventBus: archived,
      description: 'redis-failover events, for replay',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention,
      ...(props.encryptionKey && { kmsKey: props.encryptionKey }),
    });
    if (ownBus) this.archive.node.addDependency(ownBus);
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
      "A +switch-master the topic refuses is not lost from sight: the SwitchMasterDeliveryFailed alarm pages on the rule's FailedInvocations, the event stays in the bus archive for replay, and the new master is in the table and the functions' logs.",
    );
  }
}
