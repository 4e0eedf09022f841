import { afterEach, beforeAll } from 'vitest';
import type { PortAllocator } from '../../local/ports.ts';
import { RedisServers } from '../../local/redis-servers.ts';
import { LocalWorkflow } from '../../local/workflow-runner.ts';
import { stopOrchestrators } from './orchestrator.ts';
import { testPorts } from './ports.ts';
import { startTopology, type Topology, type TopologyOptions } from './topology.ts';

export interface IntegrationLifecycle {
  /** This worker's loopback ports. */
  readonly ports: PortAllocator;
  /** Servers for the current test, all stopped when it ends (after any orchestrator over them). */
  servers(): RedisServers;
  /** A master and its replicas on this test's servers and this worker's ports, the replicas online. */
  topology(options: TopologyOptions): Promise<Topology>;
}

/**
 * What every integration file needs: the workflow synthesized once, outside any test's timing,
 * and after each test its orchestrators stopped, then its redis-server processes.
 */
export function integrationLifecycle(): IntegrationLifecycle {
  const ports = testPorts();
  let current: RedisServers | undefined;
  beforeAll(async () => {
    await LocalWorkflow.load();
  });
  afterEach(async () => {
    await stopOrchestrators();
    await current?.stopAll();
    current = undefined;
  });
  const servers = () => (current ??= new RedisServers());
  return { ports, servers, topology: (options) => startTopology(servers(), ports, options) };
}
