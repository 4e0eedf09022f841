/**
 * The group's DNS records, when the stack keeps them: ENDPOINT_ZONE_ID and ENDPOINT_ZONE_NAME
 * (both, or neither), ENDPOINT_TTL_SECONDS (optional, 5) and ENDPOINT_READER ("true"/"false",
 * optional, true). One Route 53 client per container; AWS_ENDPOINT_URL_ROUTE_53 points it at a stand-in.
 */
import { Route53Client } from '@aws-sdk/client-route-53';
import { Route53Records } from '../../adapters/route53-records.ts';
import type { EndpointSettings } from '../../core/endpoints.ts';
import { MasterEndpoint } from '../endpoint.ts';
import { BOUNDED_REQUESTS, required, type Env } from '../env.ts';
import { registered, released } from './clients.ts';
import { perEnv } from './env-cache.ts';
import { ConfigError } from '../../core/errors.ts';

export const ENDPOINT_ENV_KEYS = ['ENDPOINT_ZONE_ID', 'ENDPOINT_ZONE_NAME', 'ENDPOINT_TTL_SECONDS', 'ENDPOINT_READER', 'ENDPOINT_CHECK_SECONDS'] as const;

const DEFAULT_TTL_SECONDS = 5;

/** The settings alone (no client): undefined when the stack keeps no records. Throws a one-line Error naming the variable at fault. */
function endpointSettingsFromEnv(env: Env): EndpointSettings | undefined {
  if (!env.ENDPOINT_ZONE_ID && !env.ENDPOINT_ZONE_NAME) return undefined;
  required(env, 'ENDPOINT_ZONE_ID');
  const zoneName = required(env, 'ENDPOINT_ZONE_NAME');
  const ttlSeconds = wholeNumber(env, 'ENDPOINT_TTL_SECONDS', DEFAULT_TTL_SECONDS, 0);
  const readerText = env.ENDPOINT_READER ?? 'true';
  if (readerText !== 'true' && readerText !== 'false') throw new ConfigError(`ENDPOINT_READER must be "true" or "false" (got ${JSON.stringify(readerText)})`);
  return { zoneName, ttlSeconds, reader: readerText === 'true' };
}

/** How often a voter compares the records with the table: Route 53 allows five API requests a second per account. */
export function endpointCheckMsFromEnv(env: Env): number {
  return wholeNumber(env, 'ENDPOINT_CHECK_SECONDS', 30, 1) * 1000;
}

const recordsFromEnv = perEnv(
  [...ENDPOINT_ENV_KEYS, 'AWS_ENDPOINT_URL_ROUTE_53'],
  (env: Env): { client: Route53Client; endpoint: MasterEndpoint } | undefined => {
    const settings = endpointSettingsFromEnv(env);
    if (!settings) return undefined;
    const client = registered(new Route53Client(BOUNDED_REQUESTS));
    return { client, endpoint: new MasterEndpoint(new Route53Records({ client, zoneId: required(env, 'ENDPOINT_ZONE_ID') }), settings) };
  },
  (previous) => previous && released(previous.client),
);

export function endpointFromEnv(env: Env = process.env): MasterEndpoint | undefined {
  return recordsFromEnv(env)?.endpoint;
}

function wholeNumber(env: Env, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(`${name} must be a whole number, at least ${min} (got ${JSON.stringify(text)})`);
  return value;
}
