/**
 * What applications see of a failover: real Sentinel client libraries (ioredis, node-redis 5 and
 * 6, redis-py), each in a process of its own as an application would run it (bench/clients/),
 * writing one key at a time through the master a system names: this project's Sentinel port or
 * a real redis-sentinel. The figure is the client's own: from the fault to its first
 * acknowledged write after it, which only the new master can give (the old one is dead or hung).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../lambdas/core/wait.ts';
import { AppProcess } from './app-process.ts';
import type { ClientLibrary } from './client-libraries.ts';
import { RedisServers } from '../local/redis-servers.ts';
import { startTopology } from './topology.ts';
import { LOCAL, replicationFlowing, SENTINEL, type Fault, type Running, type TrialOptions } from './trial.ts';

export { CLIENT_LABELS, CLIENT_LIBRARIES, type ClientLibrary } from './client-libraries.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_CLIENT = fileURLToPath(new URL('./clients/node-client.ts', import.meta.url));
const PY_CLIENT = fileURLToPath(new URL('./clients/redis_py_client.py', import.meta.url));
const NODE_DNS_CLIENT = fileURLToPath(new URL('./clients/dns-client.ts', import.meta.url));
const PY_DNS_CLIENT = fileURLToPath(new URL('./clients/redis_py_dns_client.py', import.meta.url));
/** Debian's python3-redis is for Debian's Python (scripts/setup.sh installs it). */
const PYTHON = '/usr/bin/python3';

/** How to run the library's application; null, with the reason, when this machine cannot. */
export function clientCommand(library: ClientLibrary): { readonly command: readonly string[] } | { readonly command: null; readonly reason: string } {
  if (library !== 'redis-py') return { command: [process.execPath, '--import', 'tsx', NODE_CLIENT, library] };
  if (spawnSync(PYTHON, ['-c', 'import redis'], { stdio: 'ignore' }).status !== 0)
    return { command: null, reason: `${PYTHON} cannot import redis (apt-get install python3-redis)` };
  return { command: [PYTHON, PY_CLIENT] };
}

/**
 * How to run the library's application that knows the master only by a DNS name (bench/clients/
 * dns-client.ts, redis_py_dns_client.py), its system resolver reading `resolvConf` instead of
 * /etc/resolv.conf: bind-mounted over it in a mount namespace of the process's own (root only),
 * so nothing of this machine's own resolving changes. Null, with the reason, when it cannot run here.
 */
export function dnsClientCommand(
  library: ClientLibrary,
  resolvConf: string,
): { readonly command: readonly string[] } | { readonly command: null; readonly reason: string } {
  if (process.getuid?.() !== 0) return { command: null, reason: 'a resolver of its own needs a mount namespace: run as root' };
  if (spawnSync('unshare', ['--mount', 'true'], { stdio: 'ignore' }).status !== 0) return { command: null, reason: 'unshare --mount fails here' };
  const base = clientCommand(library);
  if (base.command === null) return base;
  const app = library === 'redis-py' ? [PYTHON, PY_DNS_CLIENT] : [process.execPath, '--import', 'tsx', NODE_DNS_CLIENT, library];
  return { command: ['unshare', '--mount', '--', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, ...app] };
}

/** An application that knows the master as `host:port` only (see dnsClientCommand). */
export function startDnsClientApp(command: readonly string[], host: string, port: number): AppProcess {
  const [program, ...args] = command as [string, ...string[]];
  return new AppProcess(spawn(program, [...args, host, String(port)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'ignore'] }));
}

/** A client library's application: `write` or `read` mode, given the Sentinel port to ask. */
export function startClientApp(command: readonly string[], sentinelPort: number, mode: 'write' | 'read'): AppProcess {
  const [program, ...args] = command as [string, ...string[]];
  return new AppProcess(spawn(program, [...args, String(sentinelPort), mode], { cwd: ROOT, stdio: ['pipe', 'pipe', 'ignore'] }));
}

export interface ClientTrialResult {
  readonly system: 'redis-failover' | 'sentinel';
  readonly library: ClientLibrary;
  readonly fault: Fault;
  /** The system's own +switch-master. */
  readonly faultToSwitchMs: number;
  /** The client's first acknowledged write after the fault; null when none within 30 s. */
  readonly faultToFirstWriteMs: number | null;
  /** Requests it saw fail meanwhile (reported at most every 100 ms). */
  readonly failuresReported: number;
}

/** One trial: a fresh topology, one system, one client application writing through it, one fault. */
export async function runClientTrial(system: 'redis-failover' | 'sentinel', library: ClientLibrary, options: TrialOptions): Promise<ClientTrialResult> {
  const how = clientCommand(library);
  if (how.command === null) throw new Error(`${library}: ${how.reason}`);
  const fault = options.fault ?? 'kill';
  const servers = new RedisServers();
  let running: Running | undefined;
  let app: AppProcess | undefined;
  let paused: { resume(): void } | undefined;
  try {
    const { master, replicas } = await startTopology(servers, options.replicas, options.port);
    await replicationFlowing(master, replicas.length);
    running = await (system === 'sentinel' ? SENTINEL : LOCAL).start({ master, replicas }, options);
    if (running.sentinelPort === undefined) throw new Error(`${system} answers Sentinel's protocol nowhere`);
    app = startClientApp(how.command, running.sentinelPort, 'write');
    const writing = app;
    await waitFor(() => writing.acks.length >= 200, { timeoutMs: 30_000, what: `${library} to write through the master` });
    const faultAt = Date.now();
    if (fault === 'kill') await master.kill();
    else {
      master.pause();
      paused = master;
    }
    const lastBefore = await writing.settled();
    const announced = await running.announced;
    const first = await waitFor(() => writing.firstAfter(lastBefore), { timeoutMs: 30_000, intervalMs: 5, what: `${library} to write after the fault` }).catch(
      () => null,
    );
    return {
      system,
      library,
      fault,
      faultToSwitchMs: announced.at - faultAt,
      faultToFirstWriteMs: first ? first.at - faultAt : null,
      failuresReported: writing.failures.length,
    };
  } finally {
    await app?.stop();
    paused?.resume();
    await running?.stop();
    await servers.stopAll();
  }
}
