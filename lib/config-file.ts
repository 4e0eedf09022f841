/** The config file the CDK app deploys: the same JSON as `redis-failover local --config`. */
import { fileURLToPath } from 'node:url';
import { configDocument, parseConfig, readConfigJson } from '../lambdas/core/config.ts';
import type { RedisMasterProps } from './masters.ts';

/** What `npx cdk synth` deploys when no `-c config=…` is given. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL('../examples/config.json', import.meta.url));

export interface DeployConfig {
  /**
   * Voters. With an existing VPC it must equal the number of subnets (one probe per subnet); with
   * the demo VPC it is the number of availability zones.
   * @default - one per subnet; 3 for the demo VPC
   */
  readonly probes?: number;
  readonly masters: readonly RedisMasterProps[];
}

/**
 * Reads and validates a config file for deployment: everything `redis-failover local` checks,
 * `auth.secretArn` allowed and passwords in clear refused (the deployed flavour of the one parser,
 * lambdas/core/config.ts). Errors are one line naming the file. Returns the validated document:
 * the masters as parsed, defaults left out, and `probes` only when the file gives it.
 */
export function readDeployConfig(path: string): DeployConfig {
  const raw = readConfigJson(path);
  const config = parseConfig(raw, path, { deployed: true });
  // Valid, so an object: without `probes` a deployment counts one per subnet, not the local default.
  const probesGiven = (raw as { probes?: unknown }).probes !== undefined;
  return configDocument(config, { probes: probesGiven });
}
