import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { addressKey, sameAddress } from '../lambdas/core/address.ts';
import { loadConfig, type MasterConfig } from '../lambdas/core/config.ts';
import { waitFor } from '../lambdas/core/wait.ts';

import { leaseMs } from '../lambdas/runtime/leadership.ts';
import { LocalOrchestrator } from '../local/orchestrator.ts';
import { errorOfReply } from '../local/resp-errors.ts';
import { OrchestratorClient } from '../local/orchestrator-client.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { describeOutcome } from './outcome.ts';
import { EXIT } from './errors.ts';
import { note } from './notes.ts';
import { messageOf, UsageError } from '../lambdas/core/errors.ts';

export interface FailoverCommandOptions {
  readonly name: string;
  readonly configPath: string;
  readonly eventsFile?: string;
  readonly timestamps: boolean;
  readonly coordinated: boolean;
  /** Where a running `redis-failover local` would answer. */
  readonly port: number;
  /** That port's password (`--password-env`). @default - none */
  readonly password?: string;
}

export async function failoverCommand(options: FailoverCommandOptions): Promise<number> {
  const config = loadConfig(options.configPath);
  const master = config.masters.find((m) => m.name === options.name);
  if (!master) {
    throw new UsageError(`no master named ${JSON.stringify(options.name)} in ${options.configPath} (it has: ${config.masters.map((m) => m.name).join(', ')})`);
  }
  // With an orchestrator running, a failover behind its back would race its voters: ask it instead.
  const orchestrator = await OrchestratorClient.find(options.port, options.password).catch((error: unknown) => {
    throw new UsageError(messageOf(error), { cause: error });
  });
  if (orchestrator) {
    try {
      return await throughOrchestrator(orchestrator, master, options.coordinated);
    } finally {
      orchestrator.close();
    }
  }
  const loading = Date.now();
  await LocalWorkflow.load();
  note(`loaded the failover workflow (synthesized from the CDK stack) in ${((Date.now() - loading) / 1000).toFixed(2)} s`);
  // No orchestrator: the same request service on a table of this run's own (no voters), refused as the port would refuse it.
  const publisher = new LocalPublisher({ jsonLinesFile: options.eventsFile, timestamps: options.timestamps });
  const oneShot = await LocalOrchestrator.start({ config: { ...config, masters: [master] }, publisher, watch: false, log: note });
  try {
    const requestedAt = Date.now();
    const started = await oneShot.failover(master.name, { coordinated: options.coordinated });
    if (started.paused) note(`${master.name}: paused until ${started.paused.until} (${started.paused.reason}): a manual failover runs anyway`);
    if (started.handedOver) note(`${master.name}: handed over to ${addressKey(started.candidate)}; re-pointing the other replicas`);
    const execution = await oneShot.executions.get(started.execution)!;
    const outcome = describeOutcome(execution);
    const finishedAt = execution.output?.switched?.switchedAt ?? Date.now();
    note(`${master.name}: ${outcome.summary} (${finishedAt - requestedAt} ms after the request)`);
    return outcome.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await oneShot.stop();
  }
}

/**
 * SENTINEL FAILOVER through the running orchestrator, then follow its master of record: a new
 * address is the switch; the failover no longer in progress with the same address is an abort.
 */
async function throughOrchestrator(orchestrator: OrchestratorClient, master: MasterConfig, coordinated: boolean): Promise<number> {
  const command = `SENTINEL FAILOVER ${master.name}${coordinated ? ' COORDINATED' : ''}`;
  note(`${master.name}: an orchestrator answers on 127.0.0.1:${orchestrator.port}: asking it (${command}); its output shows the events`);
  const before = await orchestrator.masterState(master.name);
  if (before.pausedUntil) note(`${master.name}: paused until ${before.pausedUntil}: a manual failover runs anyway`);
  const started = Date.now();
  try {
    await orchestrator.failover(master.name, { coordinated });
  } catch (error) {
    // The reply's code says which error it is: ABORTED a failed failover (exit 1), the rest refusals (exit 2).
    throw errorOfReply(messageOf(error), master.name);
  }
  if (coordinated) note(`${master.name}: handed over (${Date.now() - started} ms, writes paused meanwhile); the orchestrator re-points the other replicas`);
  const deadline = leaseMs(master);
  const end = await waitFor(
    async () => {
      const now = await orchestrator.masterState(master.name);
      if (!sameAddress(now.address, before.address)) return { switched: now.address };
      return now.epoch > before.epoch && !now.failoverInProgress ? { switched: null } : undefined;
    },
    { timeoutMs: deadline, intervalMs: 50, what: 'the switch' },
  ).catch(() => undefined);
  if (!end) {
    note(`${master.name}: no +switch-master within ${deadline / 1000} s; the orchestrator's output says why`);
    return EXIT.failed;
  }
  if (!end.switched) {
    note(`${master.name}: the failover ended without a switch (aborted); the orchestrator's output says why`);
    return EXIT.failed;
  }
  note(`${master.name}: switched to ${addressKey(end.switched)} (${Date.now() - started} ms after the request)`);
  return EXIT.ok;
}
