import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { jsonLogger } from '../lambdas/adapters/log.ts';
import { LoggedPublisher } from '../lambdas/adapters/publisher.ts';
import type { EventPublisher } from '../lambdas/core/interfaces.ts';
import { loadConfig } from '../lambdas/core/config.ts';
import { LocalOrchestrator } from '../local/orchestrator.ts';
import { EXIT } from './errors.ts';
import { note as textNote } from './notes.ts';
import { UsageError } from '../lambdas/core/errors.ts';

export interface LocalCommandOptions {
  readonly configPath: string;
  /** Sentinel's commands are answered here (loopback). */
  readonly port: number;
  /** The port's own password (clients AUTH with it). @default - none */
  readonly password?: string;
  readonly eventsFile?: string;
  readonly timestamps: boolean;
  /** `json`: every event and note as a JSON line on stdout, the deployed functions' format. @default 'text' */
  readonly logFormat?: 'text' | 'json';
}

/** `redis-failover local`: the orchestrator in the foreground until SIGINT or SIGTERM. */
export async function localCommand(options: LocalCommandOptions): Promise<number> {
  const config = loadConfig(options.configPath);
  const { publisher, note } = output(options);
  note(`starting ${config.probes} voters for ${config.masters.map((m) => m.name).join(', ')} (table in dynalite, workflow run locally); Ctrl-C stops`);
  const orchestrator = await LocalOrchestrator.start({
    config,
    sentinelPort: options.port,
    ...(options.password && { sentinelPassword: options.password }),
    publisher,
    log: note,
    // A password changed at run time: edit the file; it is read again at the first refusal.
    reloadConfig: () => loadConfig(options.configPath),
  }).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw new UsageError(`port ${options.port} is in use (a Sentinel, or another redis-failover local?): choose another with --port`);
    }
    throw error;
  });
  note(
    `answering on 127.0.0.1:${orchestrator.sentinelPort?.port}: SENTINEL FAILOVER <name> [COORDINATED], GET-MASTER-ADDR-BY-NAME, MASTER(S), REPLICAS, CKQUORUM, SUBSCRIBE <event> (redis-cli -p ${orchestrator.sentinelPort?.port}, or Sentinel-aware clients)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  note('stopping: waiting for running failovers to end');
  await orchestrator.stop();
  note('stopped');
  return EXIT.ok;
}

/** Text: Sentinel's event lines on stdout, notes on stderr. JSON: both as the functions' JSON lines on stdout. */
function output(options: LocalCommandOptions): { publisher: EventPublisher; note: (line: string) => void } {
  if (options.logFormat !== 'json')
    return { publisher: new LocalPublisher({ jsonLinesFile: options.eventsFile, timestamps: options.timestamps }), note: textNote };
  const logger = jsonLogger();
  return { publisher: new LoggedPublisher(new LocalPublisher({ out: null, jsonLinesFile: options.eventsFile }), logger), note: (line) => logger.info(line) };
}
