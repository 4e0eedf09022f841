import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { loadConfig } from '../lambdas/core/config.ts';
import { LocalOrchestrator } from '../local/orchestrator.ts';
import { EXIT } from './errors.ts';
import { note } from './notes.ts';

export interface LocalCommandOptions {
  readonly configPath: string;
  readonly eventsFile?: string;
  readonly timestamps: boolean;
}

/** `redis-failover local`: the orchestrator in the foreground until SIGINT or SIGTERM. */
export async function localCommand(options: LocalCommandOptions): Promise<number> {
  const config = loadConfig(options.configPath);
  note(`starting ${config.probes} voters for ${config.masters.map((m) => m.name).join(', ')} (table in dynalite, workflow run locally); Ctrl-C stops`);
  const orchestrator = await LocalOrchestrator.start({
    config,
    publisher: new LocalPublisher({ jsonLinesFile: options.eventsFile, timestamps: options.timestamps }),
    log: note,
    // A password changed at run time: edit the file; it is read again at the first refusal.
    reloadConfig: () => loadConfig(options.configPath),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  note('stopping: waiting for running failovers to end');
  await orchestrator.stop();
  note('stopped');
  return EXIT.ok;
}
