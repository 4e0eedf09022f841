import { EventBridgePublisher } from '../adapters/eventbridge-publisher.ts';
import { DEFAULT_INVOCATION_BUDGET_MS, DEFAULT_POLL_INTERVAL_MS, type StepDeps } from './deps.ts';

let cached: StepDeps | undefined;

/**
 * Dependencies of a step running in Lambda, built once per container from its environment:
 * EVENT_BUS_NAME (required), REDIS_TLS ("true" to use TLS).
 */
export function awsDeps(): StepDeps {
  if (cached) return cached;
  const busName = process.env.EVENT_BUS_NAME;
  if (!busName) throw new Error('EVENT_BUS_NAME is not set');
  const tls = process.env.REDIS_TLS === 'true';
  cached = {
    publisher: new EventBridgePublisher({ busName }),
    linkOptions: async () => ({ tls }),
    now: () => Date.now(),
    pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
    invocationBudgetMs: DEFAULT_INVOCATION_BUDGET_MS,
  };
  return cached;
}
