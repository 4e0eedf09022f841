/** The config file the CDK app deploys: the same JSON as `redis-failover local --config`. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../lambdas/core/config.ts';
import { validateDeployedConfig, type RedisMasterProps } from './masters.ts';
import { ConfigError } from '../lambdas/core/errors.ts';

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
 * `auth.secretArn` allowed and passwords in clear refused. Errors are one line naming the file.
 */
export function readDeployConfig(path: string): DeployConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // An unreadable file or invalid JSON: reported as the CLI reports it (never quoting the text).
    loadConfig(path);
    throw new ConfigError(`cannot read config file ${path}`);
  }
  validateDeployedConfig(raw, path);
  // Valid: an object with masters, and probes a positive integer when present.
  const { probes, masters } = raw as { probes?: number; masters: RedisMasterProps[] };
  return probes === undefined ? { masters } : { probes, masters };
}
