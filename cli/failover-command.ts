import { LocalPublisher } from '../lambdas/adapters/local-publisher.ts';
import { addressKey, sameAddress } from '../lambdas/core/address.ts';
import { loadConfig, type MasterConfig } from '../lambdas/core/config.ts';
import { waitFor } from '../lambdas/core/wait.ts';

import { leaseMs } from '../lambdas/runtime/leadership.ts';
import { FailoverRefusedError, manualFailover } from '../local/manual-failover.ts';
import { OrchestratorClient } from '../local/orchestrator-client.ts';
import { LocalWorkflow } from '../local/workflow-runner.ts';
import { describeOutcome } from './outcome.ts';
import { EXIT } from './errors.ts';
import { note } from './notes.ts';
import { HandoverAbortedError, UsageError } from '../lambdas/core/errors.ts';

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
    throw new UsageError(error instanceof Error ? error.message : String(error));
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

/**
 * SENTINEL FAILOVER through the running orchestrator, then follow its master of record: a new
 * address is the switch; the failover no longer in progress with the same address is an abort.
 */
async function throughOrchestrator(orchestrator: OrchestratorClient, master: MasterConfig, coordinated: boolean): Promise<number> {
  const command = `SENTINEL FAILOVER ${master.name}${coordinated ? ' COORDINATED' : ''}`;
  note(`${master.name}: an orchestrator answers on 127.0.0.1:${orchestrator.port}: asking it (${command}); its output shows the events`);
  const before = await orchestrator.masterState(master.name);
  const started = Date.now();
  try {
    await orchestrator.failover(master.name, { coordinated });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // The handover started and was undone: a failed failover (exit 1), not a refused request (exit 2).
    if (message.startsWith('ABORTED ')) throw new HandoverAbortedError(message.slice('ABORTED '.length));
    throw new FailoverRefusedError(`${master.name}: ${message}`);
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
