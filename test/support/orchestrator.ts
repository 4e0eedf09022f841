import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { vi } from 'vitest';
import { failoverCommand } from '../../cli/failover-command.ts';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { parseConfig, type Config } from '../../lambdas/core/config.ts';
import type { SentinelEvent, SentinelEventName } from '../../lambdas/core/events.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { LocalOrchestrator, type OrchestratorOptions } from '../../local/orchestrator.ts';
import type { Topology } from './topology.ts';

export interface Running {
  readonly orchestrator: LocalOrchestrator;
  readonly events: MemoryPublisher;
  /** Notes the orchestrator logged (stand-downs, blocks, failures). */
  readonly log: string[];
}

const started: LocalOrchestrator[] = [];

/** Stops every orchestrator the current test started, even when it failed. */
export async function stopOrchestrators(): Promise<void> {
  await Promise.all(started.splice(0).map((o) => o.stop()));
}

/** The config of one master group `mymaster` over a topology: quorum 2, down-after 500 ms, failover-timeout 2 s unless `master` says otherwise. */
export function testConfig(topology: Topology, master: Record<string, unknown>, probes = 3): Config {
  return parseConfig({
    probes,
    masters: [{ name: 'mymaster', host: '127.0.0.1', port: topology.master.options.port, quorum: 2, downAfterMs: 500, failoverTimeoutMs: 2000, ...master }],
  });
}

/** The orchestrator over a topology: `probes` voters, events recorded in memory. */
export async function orchestrate(
  topology: Topology,
  master: Record<string, unknown>,
  options: { probes?: number } & Omit<OrchestratorOptions, 'config' | 'publisher'> = {},
): Promise<Running> {
  const config = testConfig(topology, master, options.probes);
  const events = new MemoryPublisher();
  const log: string[] = [];
  const orchestrator = await LocalOrchestrator.start({ ...options, config, publisher: events, log: (line) => log.push(line) });
  started.push(orchestrator);
  // Ready when every replica is stored and announced (+slave comes right after the store, from the voter that stored it).
  await waitFor(
    async () =>
      (await orchestrator.store.listReplicas('mymaster')).length >= topology.replicas.length &&
      types(events).filter((t) => t === '+slave').length >= topology.replicas.length,
    {
      timeoutMs: 10_000,
      what: 'the voters to discover every replica',
    },
  );
  return { orchestrator, events, log };
}

export function types(events: MemoryPublisher): SentinelEventName[] {
  return events.events.map((e) => e.type);
}

export function waitForEvent(
  events: MemoryPublisher,
  type: SentinelEventName,
  match: (e: SentinelEvent) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<SentinelEvent> {
  return waitFor(() => events.events.find((e) => e.type === type && match(e)), { timeoutMs, what: `event ${type}` });
}

/** Waits until every voter has ticked `ticks` more times: enough observation to say something did NOT happen. */
export async function waitForTicks(running: Running, ticks: number): Promise<void> {
  const counts = () => running.orchestrator.voters.flatMap((v) => v.watches.map((w) => w.ticks));
  const start = counts();
  await waitFor(() => counts().every((c, i) => c - start[i]! >= ticks), { timeoutMs: 30_000, what: `${ticks} more ticks of every voter` });
}

/**
 * `redis-failover failover mymaster` in this process against the running orchestrator's port, with
 * a config file naming `master` (written to a folder of its own, removed after): its exit status and
 * the notes it wrote to stderr.
 */
export async function failoverThroughPort(
  running: Running,
  master: Record<string, unknown>,
  coordinated: boolean,
): Promise<{ readonly code: number; readonly notes: readonly string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-request-'));
  const notes: string[] = [];
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((text) => notes.push(String(text)) > 0);
  try {
    const configPath = path.join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify({ probes: 3, masters: [{ name: 'mymaster', host: '127.0.0.1', quorum: 2, ...master }] }));
    const code = await failoverCommand({ name: 'mymaster', configPath, port: running.orchestrator.sentinelPort!.port, coordinated, timestamps: false });
    return { code, notes };
  } finally {
    stderr.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  }
}
