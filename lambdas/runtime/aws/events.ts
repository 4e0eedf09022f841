/** The bus every function publishes to: EVENT_BUS_NAME. One client per container. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../adapters/eventbridge-publisher.ts';
import { LoggedPublisher, MeteredPublisher } from '../../adapters/publisher.ts';
import type { EventPublisher } from '../../core/interfaces.ts';
import { awsMetrics } from './metrics.ts';
import { awsLogger } from './log.ts';
import { BOUNDED_REQUESTS, required, type Env } from '../env.ts';
import { registered } from './clients.ts';

let cached: { client: EventBridgeClient; publisher: EventPublisher } | undefined;

/** How every function publishes: to the bus, each event also one JSON line in its log, the failovers it starts or ends counted. */
export function awsPublisher(client: EventBridgeClient, busName: string): EventPublisher {
  return new MeteredPublisher(new LoggedPublisher(new EventBridgePublisher({ client, busName }), awsLogger), awsMetrics);
}

/** The step functions' publisher, from EVENT_BUS_NAME: one client per container. */
export function eventsFromEnv(env: Env = process.env): { client: EventBridgeClient; publisher: EventPublisher } {
  if (cached) return cached;
  const busName = required(env, 'EVENT_BUS_NAME');
  const client = registered(new EventBridgeClient(BOUNDED_REQUESTS));
  cached = { client, publisher: awsPublisher(client, busName) };
  return cached;
}
