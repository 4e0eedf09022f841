/** The bus every function publishes to: EVENT_BUS_NAME. One client per container. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../adapters/eventbridge-publisher.ts';
import { LoggedPublisher } from '../../adapters/publisher.ts';
import { awsLogger } from './log.ts';
import { BOUNDED_REQUESTS, required, type Env } from '../env.ts';
import { registered } from './clients.ts';

let cached: { client: EventBridgeClient; publisher: LoggedPublisher } | undefined;

/** Each event published is also one JSON line in the function's log. */
export function eventsFromEnv(env: Env = process.env): { client: EventBridgeClient; publisher: LoggedPublisher } {
  if (cached) return cached;
  const busName = required(env, 'EVENT_BUS_NAME');
  const client = registered(new EventBridgeClient(BOUNDED_REQUESTS));
  cached = { client, publisher: new LoggedPublisher(new EventBridgePublisher({ client, busName }), awsLogger) };
  return cached;
}
