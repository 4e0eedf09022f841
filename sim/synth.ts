/**
 * `cdk synth` of the deployable stack (lib/failover-stack.ts) for a config, into a cloud
 * assembly folder, with the functions bundled by the local esbuild exactly as `cdk deploy`
 * bundles them. The simulation then runs that folder, never the sources.
 */
import { App } from 'aws-cdk-lib';
import type { DeployConfig } from '../lib/config-file.ts';
import { RedisFailoverStack, type RedisFailoverStackProps } from '../lib/failover-stack.ts';
import { cdkJsonContext } from '../local/workflow-definition.ts';

const SIMULATED_STACK = 'RedisFailover';

export interface SynthOptions {
  readonly config: DeployConfig;
  /** Where the assembly goes (`cdk.out`). */
  readonly outdir: string;
  /** Further construct props (probeInterval to scale time down, tls, …). */
  readonly failover?: RedisFailoverStackProps['failover'];
}

/** Synthesizes the stack into `outdir` and answers the folder. Bundling takes a second or two per function. */
export function synthesizeStack(options: SynthOptions): string {
  // CDK says "Bundling asset …" for each function on stderr: progress for `cdk synth`, noise around a benchmark or a test.
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    String(chunk).startsWith('Bundling asset ') ? true : (write as (...args: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stderr.write;
  try {
    const app = new App({ outdir: options.outdir, context: cdkJsonContext() });
    new RedisFailoverStack(app, SIMULATED_STACK, { config: options.config, ...(options.failover && { failover: options.failover }) });
    app.synth();
  } finally {
    process.stderr.write = write;
  }
  return options.outdir;
}
