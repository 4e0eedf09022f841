/**
 * `redis-failover pause | resume | status | history | get-master-addr` (and `failover --function`):
 * one operator request, sent where it can be answered (cli/channels.ts): a deployed stack's
 * request function with --function, else a running `redis-failover local` on --port. With neither,
 * `status` and `get-master-addr` read the servers in --config directly; the others need someone
 * who holds the table.
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../lambdas/core/config.ts';
import { historyFromEvents, type LoggedEvent } from '../lambdas/core/history.ts';
import { parseJsonText } from '../lambdas/core/json-text.ts';
import { messageOf, UsageError } from '../lambdas/core/errors.ts';
import type { OperatorAnswers, OperatorRequest } from '../lambdas/runtime/operator.ts';
import { OrchestratorClient } from '../local/orchestrator-client.ts';
import { lambdaChannel, nobodyToAsk, portChannel, type OperatorChannel } from './channels.ts';
import { EXIT } from './errors.ts';
import { note } from './notes.ts';
import { historyReport, pauseReport, statusReport } from './reports.ts';

export interface OperatorCommandOptions {
  readonly request: OperatorRequest;
  /** Print the answer as JSON (for tools) instead of lines for a person. */
  readonly json: boolean;
  /** The deployed request function (name or ARN). @default - the local orchestrator */
  readonly functionName?: string;
  /** Where a running `redis-failover local` answers. */
  readonly port: number;
  readonly password?: string;
  /** For `status` and `get-master-addr` with no orchestrator running. @default - none */
  readonly configPath?: string;
  /** `history` from this events file (what `local --events-file` wrote), asking nobody. @default - none */
  readonly eventsFile?: string;
}

export async function operatorCommand(options: OperatorCommandOptions): Promise<number> {
  const { request } = options;
  const answer = await ask(options);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${report(request, answer)}\n`);
  return EXIT.ok;
}

async function ask(options: OperatorCommandOptions): Promise<unknown> {
  const { request } = options;
  if (request.action === 'history' && options.eventsFile !== undefined) return historyOfFile(options.eventsFile, request);
  const channel = await channelFor(options);
  if (channel) {
    try {
      return await channel.operate(request);
    } finally {
      channel.close();
    }
  }
  // No orchestrator: only what the servers themselves can tell, from the config.
  if (request.action !== 'status' && request.action !== 'get-master-addr') throw nobodyToAsk(request.action, options.port);
  if (!options.configPath) throw new UsageError(`${request.action} needs --config <file> when no orchestrator answers on 127.0.0.1:${options.port}`);
  const config = loadConfig(options.configPath);
  note(`no orchestrator answers on 127.0.0.1:${options.port}: reading the servers in ${options.configPath} (no voters, no history)`);
  const { LocalOrchestrator } = await import('../local/orchestrator.ts');
  const oneShot = await LocalOrchestrator.start({ config, publisher: { publish: async () => undefined }, watch: false });
  try {
    return await oneShot.operate(request);
  } finally {
    await oneShot.stop();
  }
}

/** The failovers an events file tells, as the request's `history` answers them. */
function historyOfFile(file: string, request: OperatorRequest & { action: 'history' }): OperatorAnswers['history'] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--events-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? messageOf(error)}`, { cause: error });
  }
  const events = text
    .split('\n')
    .map((line, i) => (line.trim() === '' ? null : (parseJsonText(line, `--events-file ${file} line ${i + 1}`) as LoggedEvent)))
    .filter((e): e is LoggedEvent => e !== null && typeof e.detail?.master === 'string');
  const wanted = historyFromEvents(events).filter((f) => request.master === '*' || f.master === request.master);
  const limit = request.limit ?? 10;
  const kept = new Map<string, number>();
  const failovers = wanted.filter((f) => {
    const n = (kept.get(f.master) ?? 0) + 1;
    kept.set(f.master, n);
    return n <= limit;
  });
  return { failovers };
}

async function channelFor(options: OperatorCommandOptions): Promise<OperatorChannel | null> {
  if (options.functionName) return lambdaChannel(options.functionName);
  const client = await OrchestratorClient.find(options.port, options.password).catch((error: unknown) => {
    throw new UsageError(messageOf(error), { cause: error });
  });
  return client && portChannel(client);
}

function report(request: OperatorRequest, answer: unknown): string {
  switch (request.action) {
    case 'status':
      return statusReport((answer as OperatorAnswers['status']).masters);
    case 'history':
      return historyReport((answer as OperatorAnswers['history']).failovers);
    case 'pause':
      return pauseReport((answer as OperatorAnswers['pause']).paused, 'paused');
    case 'resume':
      return pauseReport((answer as OperatorAnswers['resume']).resumed, 'resumed');
    case 'get-master-addr': {
      const { host, port } = answer as OperatorAnswers['get-master-addr'];
      return `${host} ${port}`;
    }
    case 'failover': {
      const started = answer as OperatorAnswers['failover'];
      if (started.paused) note(`${started.master}: paused until ${started.paused.until} (${started.paused.reason}); a manual failover runs anyway`);
      return `${started.master}: failover ${started.execution} started (epoch ${started.epoch}), ${started.handedOver ? 'handed over to' : 'candidate'} ${started.candidate.host}:${started.candidate.port}; follow it with redis-failover history`;
    }
  }
}
