/** The bus every function publishes to: EVENT_BUS_NAME. One client per container. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../adapters/eventbridge-publisher.ts';
import { LoggedPublisher, MeteredPublisher } from '../../adapters/publisher.ts';
import type { EventPublisher } from '../../core/interfaces.ts';
import { awsMetrics } from './metrics.ts';
import { awsLogger } from './log.ts';
import { BOUNDED_REQUESTS, required, type Env } from '../env.ts';
import { registered, released } from './clients.ts';
import { perEnv } from './env-cache.ts';

/** How every function publishes: to the bus, each event also one JSON line in its log, the failovers it starts or ends counted. */
export function awsPublisher(client: EventBridgeClient, busName: string): EventPublisher {
  return new MeteredPublisher(new LoggedPublisher(new EventBridgePublisher({ client, busName }), awsLogger), awsMetrics);
}

/** The step functions' publisher, from EVENT_BUS_NAME: one client per container. */
export const eventsFromEnv = perEnv(
  ['EVENT_BUS_NAME', 'AWS_ENDPOINT_URL_EVENTBRIDGE'],
  (env: Env): { client: EventBridgeClient; publisher: EventPublisher } => {
    const busName = required(env, 'EVENT_BUS_NAME');
    const client = registered(new EventBridgeClient(BOUNDED_REQUESTS));
    return { client, publisher: awsPublisher(client, busName) };
  },
  (previous) => released(previous.client),
);
