/**
 * What the deployment costs while nothing fails: one simulated deployment watching a healthy
 * topology for some minutes, and the DynamoDB requests each probe made (DynamoDB bills per request).
 */
import { sleep } from '../lambdas/core/wait.ts';
import { RedisServers } from '../local/redis-servers.ts';
import { probeFunctions, withoutHash, type BenchStack } from './deployed.ts';
import { idleRates, type IdleSummary } from './report.ts';
import { fixedPorts, startTopology } from './topology.ts';

export async function runIdle(stack: BenchStack, replicas: number, minutes: number, probeIntervalSeconds: number): Promise<IdleSummary> {
  const servers = new RedisServers();
  try {
    await startTopology(servers, replicas, fixedPorts(stack.ports));
    const deployment = await stack.deploy();
    try {
      // The schedules fire first when the deployment starts: the minutes count from there.
      const startedAt = Math.min(...deployment.scheduler.firings.map((f) => f.at));
      await sleep(Math.max(0, startedAt + minutes * 60_000 - Date.now()));
      const probes = probeFunctions(deployment).map((spec) => idleRates(withoutHash(spec.logicalId), deployment.tableRequests(spec), startedAt, minutes));
      return { minutes, probeIntervalSeconds, probes };
    } finally {
      await deployment.stop();
    }
  } finally {
    await servers.stopAll();
  }
}
