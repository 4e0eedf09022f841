/** The bus every function publishes to: EVENT_BUS_NAME. One client per container. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../adapters/eventbridge-publisher.ts';
import { BOUNDED_REQUESTS, required, type Env } from '../env.ts';
import { registered } from './clients.ts';

let cached: { client: EventBridgeClient; publisher: EventBridgePublisher } | undefined;

export function eventsFromEnv(env: Env = process.env): { client: EventBridgeClient; publisher: EventBridgePublisher } {
  if (cached) return cached;
  const busName = required(env, 'EVENT_BUS_NAME');
  const client = registered(new EventBridgeClient(BOUNDED_REQUESTS));
  cached = { client, publisher: new EventBridgePublisher({ client, busName }) };
  return cached;
}
