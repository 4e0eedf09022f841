/**
 * What applications see of a failover: real Sentinel client libraries (ioredis, node-redis 5 and
 * 6, redis-py), each in a process of its own as an application would run it (bench/clients/),
 * writing one key at a time through the master a system names: this project's Sentinel port or
 * a real redis-sentinel. The figure is the client's own: from the fault to its first
 * acknowledged write after it, which only the new master can give (the old one is dead or hung).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../lambdas/core/wait.ts';
import type { ClientLibrary } from './client-libraries.ts';
import { RedisServers } from '../local/redis-servers.ts';
import { startTopology } from './topology.ts';
import { LOCAL, replicationFlowing, SENTINEL, type Fault, type Running, type TrialOptions } from './trial.ts';

export { CLIENT_LABELS, CLIENT_LIBRARIES, type ClientLibrary } from './client-libraries.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_CLIENT = fileURLToPath(new URL('./clients/node-client.ts', import.meta.url));
const PY_CLIENT = fileURLToPath(new URL('./clients/redis_py_client.py', import.meta.url));
/** Debian's python3-redis is for Debian's Python (scripts/ensure-deps.sh installs it). */
const PYTHON = '/usr/bin/python3';

/** How to run the library's application; null, with the reason, when this machine cannot. */
export function clientCommand(library: ClientLibrary): { readonly command: readonly string[] } | { readonly command: null; readonly reason: string } {
  if (library !== 'redis-py') return { command: [process.execPath, '--import', 'tsx', NODE_CLIENT, library] };
  if (spawnSync(PYTHON, ['-c', 'import redis'], { stdio: 'ignore' }).status !== 0) return { command: null, reason: `${PYTHON} cannot import redis (apt-get install python3-redis)` };
  return { command: [PYTHON, PY_CLIENT] };
}

/** One client application and what it printed, with when each line arrived. */
export class ClientApp {
  readonly acks: Array<{ readonly n: number; readonly at: number }> = [];
  /** Read mode: the replica(s) it reads from, `6381` or `6381,6382`, each time that changes. */
  readonly replicas: Array<{ readonly port: string; readonly at: number }> = [];
  readonly failures: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const space = line.indexOf(' ');
      const [word, rest] = [line.slice(0, space), line.slice(space + 1)];
      if (word === 'ack') this.acks.push({ n: Number(rest), at: Date.now() });
      else if (word === 'replica') this.replicas.push({ port: rest, at: Date.now() });
      else if (word === 'fail') this.failures.push(rest);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(command: readonly string[], sentinelPort: number, mode: 'write' | 'read'): ClientApp {
    const [program, ...args] = command as [string, ...string[]];
    return new ClientApp(spawn(program, [...args, String(sentinelPort), mode], { cwd: ROOT, stdio: ['pipe', 'pipe', 'ignore'] }));
  }

  /**
   * The first write only a new master can have acknowledged: two past the last acknowledged when
   * the old master was gone (the client writes one key at a time, so at most one, in flight at
   * the fault, may still be acknowledged by the old one).
   */
  firstAfter(lastBefore: number): { readonly n: number; readonly at: number } | undefined {
    return this.acks.find((ack) => ack.n >= lastBefore + 2);
  }

  /** The number of the last acknowledged write so far (-1 before any). */
  get lastAcked(): number {
    return this.acks.at(-1)?.n ?? -1;
  }

  /**
   * The last acknowledged write once no more arrive (the old master gone): lines still in the pipe
   * from the client are read first, so none is taken for a write the new master acknowledged.
   */
  async settled(): Promise<number> {
    let seen = this.acks.length;
    let quiet = 0;
    await waitFor(
      () => {
        quiet = this.acks.length === seen ? quiet + 1 : 0;
        seen = this.acks.length;
        return quiet >= 3;
      },
      { timeoutMs: 5000, intervalMs: 10, what: 'the client to stop hearing from the old master' },
    );
    return this.lastAcked;
  }

  /** Ends it (stdin closed), killed if it has not exited within 3 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    this.child.stdin!.end();
    await this.exited;
    clearTimeout(timer);
  }
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
  let app: ClientApp | undefined;
  let paused: { resume(): void } | undefined;
  try {
    const { master, replicas } = await startTopology(servers, options.replicas, options.port);
    await replicationFlowing(master, replicas.length);
    running = await (system === 'sentinel' ? SENTINEL : LOCAL).start({ master, replicas }, options);
    if (running.sentinelPort === undefined) throw new Error(`${system} answers Sentinel's protocol nowhere`);
    app = ClientApp.start(how.command, running.sentinelPort, 'write');
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
    const first = await waitFor(() => writing.firstAfter(lastBefore), { timeoutMs: 30_000, intervalMs: 5, what: `${library} to write after the fault` }).catch(() => null);
    return { system, library, fault, faultToSwitchMs: announced.at - faultAt, faultToFirstWriteMs: first ? first.at - faultAt : null, failuresReported: writing.failures.length };
  } finally {
    await app?.stop();
    paused?.resume();
    await running?.stop();
    await servers.stopAll();
  }
}
