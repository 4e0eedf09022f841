import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { addressKey } from '../lambdas/core/address.ts';
import { loadConfig } from '../lambdas/core/config.ts';
import { manualFailover } from '../local/manual-failover.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { describeOutcome } from './outcome.ts';
import { EXIT, UsageError } from './errors.ts';
import { note } from './notes.ts';

export interface FailoverCommandOptions {
  readonly name: string;
  readonly configPath: string;
  readonly eventsFile?: string;
  readonly timestamps: boolean;
  readonly coordinated: boolean;
}

export async function failoverCommand(options: FailoverCommandOptions): Promise<number> {
  const config = loadConfig(options.configPath);
  const master = config.masters.find((m) => m.name === options.name);
  if (!master) {
    throw new UsageError(`no master named ${JSON.stringify(options.name)} in ${options.configPath} (it has: ${config.masters.map((m) => m.name).join(', ')})`);
  }
  const loading = Date.now();
  await LocalWorkflow.load();
  note(`loaded the failover workflow (synthesized from the CDK stack) in ${((Date.now() - loading) / 1000).toFixed(2)} s`);
  const { execution, input } = await manualFailover({
    master,
    publisher: new LocalPublisher({ jsonLinesFile: options.eventsFile, timestamps: options.timestamps }),
    coordinated: options.coordinated,
    onDiscovery: ({ replicas, masterReachable }) => {
      note(`${master.name}: master ${addressKey(master)} ${masterReachable ? 'reachable' : 'unreachable (failing over without it)'}, replicas: ${replicas.map(addressKey).join(', ') || 'none known'}`);
    },
  });
  const outcome = describeOutcome(execution);
  const finishedAt = execution.output?.switched?.switchedAt ?? Date.now();
  note(`${master.name}: ${outcome.summary} (${finishedAt - input.startedAt} ms after the failover started)`);
  return outcome.ok ? EXIT.ok : EXIT.failed;
}
