/**
 * An application the benchmark and the tests run in a process of their own (a client library's
 * writer or reader, bench/clients/; the partition trial's writer, bench/agent.ts), heard over its
 * standard output: `ack <n>` per acknowledged write, `replica <port[,port]>` when the replica it
 * reads from changes, `fail <error>` while requests fail.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { waitFor } from '../lambdas/core/wait.ts';

/** One application process and what it printed, with when each line arrived. */
export class AppProcess {
  readonly acks: Array<{ readonly n: number; readonly at: number }> = [];
  /** Read mode: the replica(s) it reads from, `6381` or `6381,6382`, each time that changes. */
  readonly replicas: Array<{ readonly port: string; readonly at: number }> = [];
  readonly failures: string[] = [];
  private readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const space = line.indexOf(' ');
      const [word, rest] = [line.slice(0, space), line.slice(space + 1)];
      if (word === 'ack') this.acks.push({ n: Number(rest), at: Date.now() });
      else if (word === 'replica') this.replicas.push({ port: rest, at: Date.now() });
      else if (word === 'fail') this.failures.push(rest);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** When write `n` was acknowledged (as its line arrived); NaN for one never acknowledged. */
  ackedAt(n: number): number {
    return this.acks.find((ack) => ack.n === n)?.at ?? Number.NaN;
  }

  /** bench/agent.ts's writer only: moves it to another master. */
  follow(host: string, port: number): void {
    this.child.stdin!.write(`follow ${host} ${port}\n`);
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

  /** Ends it (stdin closed), killed if it has not exited within `killAfterMs`. */
  async stop(killAfterMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // An infinite delay would be taken for 1 ms by setTimeout: none is set then.
    const timer = Number.isFinite(killAfterMs) ? setTimeout(() => this.child.kill('SIGKILL'), killAfterMs) : undefined;
    this.child.stdin!.end();
    await this.exited;
    clearTimeout(timer);
  }
}
