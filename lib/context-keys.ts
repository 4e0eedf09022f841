/**
 * The `-c` keys the CDK app reads (lib/app-context.ts), and the refusal of any other key a user
 * could have meant for it: a mistyped key would otherwise be ignored and deploy the defaults.
 */
import { ContextError } from '../lambdas/core/errors.ts';

/** Every key the app reads, for docs/deploy.md ("Commands") and the error on an unknown one. */
export const CONTEXT_KEYS = {
  config: 'the config file (default examples/config.json)',
  vpcId: 'an existing VPC, imported by attributes (default: a new demo VPC)',
  subnetIds: 'with vpcId: its private subnets, comma-separated, one per zone (one probe each)',
  availabilityZones: 'with vpcId: the zone of each subnet, same order',
  vpcCidr: "with vpcId: the VPC's CIDR block (where Redis is, unless redisCidr)",
  routeTableIds: 'with vpcId: the route table of each subnet, same order (for dynamoDbEndpoint)',
  subnetCidrs: "with vpcId: each subnet's CIDR block, same order (zone preference by a server's subnet)",
  redisCidr: 'where the Redis servers are (default: the VPC CIDR)',
  interfaceEndpoints: 'with vpcId: true to add Step Functions, EventBridge and Secrets Manager interface endpoints',
  dynamoDbEndpoint: 'with vpcId: true to add a DynamoDB gateway endpoint (needs routeTableIds)',
  tls: 'true: TLS to Redis',
  dnsZone: 'a private hosted zone name (e.g. redis.internal): primary and reader DNS records per master group',
  dnsZoneId: 'with dnsZone: an existing private hosted zone of that name, by id (Z…), instead of a new one',
  dnsTtl: "with dnsZone: the records' TTL in seconds (default 5)",
  alarmTopicArn: 'an existing SNS topic every alarm notifies',
  alarmEmail: 'an e-mail address every alarm notifies (through a topic the stack creates)',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

const KNOWN: readonly string[] = Object.keys(CONTEXT_KEYS);

/**
 * Keys CDK itself puts in the context: feature flags (`@aws-cdk/…`, cdk.json), its own settings
 * (`aws:cdk:…`), cached lookups (`availability-zones:account=…`), and the CLI's few plain names.
 */
function isCdkContextKey(key: string): boolean {
  return /[@:]/.test(key) || key.startsWith('cdk-') || key.startsWith('aws-cdk') || key === 'acknowledged-issue-numbers' || key === 'cli-telemetry';
}

/** Edits (insert, delete, replace) from one word to the other, case ignored: `vpcid` is `vpcId`. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[y.length]!;
}

/** The known key the user most likely meant: a few edits away at most (a third of its length). */
function closestKey(key: string): string | undefined {
  let best: { key: string; edits: number } | undefined;
  for (const known of KNOWN) {
    const edits = distance(key, known);
    if (edits <= Math.max(1, Math.floor(known.length / 3)) && (best === undefined || edits < best.edits)) best = { key: known, edits };
  }
  return best?.key;
}

/** Refuses, by name, the first key that is neither the app's nor CDK's. */
export function refuseUnknownContextKeys(keys: Iterable<string>): void {
  for (const key of keys) {
    if (KNOWN.includes(key) || isCdkContextKey(key)) continue;
    const closest = closestKey(key);
    throw new ContextError(`unknown context key ${key}${closest === undefined ? '' : ` (did you mean ${closest}?)`}`);
  }
}
