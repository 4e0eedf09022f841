/**
 * One simulated Lambda execution environment: a child process running the function's bundle
 * under the runtime's Node.js (bootstrap.cjs), serving one invocation at a time. As on Lambda,
 * the process is frozen between invocations (SIGSTOP: its timers and sockets wait), thawed for
 * the next one, and killed when an invocation outlives the function's timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FunctionSpec } from './function-spec.ts';

const BOOTSTRAP = fileURLToPath(new URL('./bootstrap.cjs', import.meta.url));
/** Lambda gives the init phase 10 s (on-demand functions). */
const INIT_TIMEOUT_MS = 10_000;

/** What the function answered: its result, or Lambda's error shape. */
export type InvokeOutcome =
  | { readonly ok: true; readonly payload: unknown }
  | { readonly ok: false; readonly errorType: string; readonly errorMessage: string; readonly trace: readonly string[] };

export interface ContainerOptions {
  /** The Node.js binary that plays the function's runtime. */
  readonly node: string;
  /** The whole environment of the process: nothing of the simulator's own is inherited. */
  readonly env: Readonly<Record<string, string>>;
  /** Each line the function writes (stdout and stderr), as CloudWatch Logs would get it. */
  readonly log: (line: string) => void;
  /**
   * A command the process is started under, e.g. `ip netns exec <namespace>` to put it in a network
   * of its own (its availability zone, in a partition trial). It must exec the process in place, so
   * that the pid it gets is the function's own (freezing and killing go by pid).
   * @default - none
   */
  readonly launcher?: readonly string[];
}

interface Pending {
  readonly requestId: string;
  readonly resolve: (outcome: InvokeOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

type Message =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; errorType: string; errorMessage: string; trace: string[] }
  | { type: 'response'; requestId: string; payload: unknown }
  | { type: 'error' | 'fatal'; requestId: string; errorType: string; errorMessage: string; trace: string[] };

export class Container {
  /** From spawning the process to the handler loaded: what Lambda reports as Init Duration, plus the process start. */
  readonly coldStartMs: number;
  /** The handler module's own load time, as the runtime measured it. */
  readonly initMs: number;
  private pending: Pending | null = null;
  private dead = false;
  private invocations = 0;
  lastUsedAt = Date.now();

  private constructor(
    readonly spec: FunctionSpec,
    private readonly child: ChildProcess,
    timing: { coldStartMs: number; initMs: number },
  ) {
    this.coldStartMs = timing.coldStartMs;
    this.initMs = timing.initMs;
    child.on('message', (message: Message) => this.onMessage(message));
    child.on('exit', (code, signal) => this.onExit(code, signal));
  }

  /** Starts the process and runs the init phase; rejects with Lambda's init error when it fails. */
  static async start(spec: FunctionSpec, options: ContainerOptions): Promise<Container> {
    const startedAt = Date.now();
    const [command = options.node, ...args] = [...(options.launcher ?? []), options.node, BOOTSTRAP];
    const child = spawn(command, args, {
      cwd: spec.codeDir,
      env: { ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    forwardLines(child.stdout!, options.log);
    forwardLines(child.stderr!, options.log);
    const ready = await new Promise<Message>((resolve) => {
      const timer = setTimeout(
        () => resolve({ type: 'init-error', errorType: 'Sandbox.Timedout', errorMessage: `Init timed out after ${INIT_TIMEOUT_MS / 1000} seconds`, trace: [] }),
        INIT_TIMEOUT_MS,
      );
      child.once('message', (message: Message) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ type: 'init-error', errorType: 'Runtime.ExitError', errorMessage: `Runtime exited during init: ${exitText(code, signal)}`, trace: [] });
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        resolve({ type: 'init-error', errorType: 'Runtime.InvalidEntrypoint', errorMessage: error.message, trace: [] });
      });
    });
    if (ready.type !== 'ready') {
      child.kill('SIGKILL');
      const message = ready as Extract<Message, { type: 'init-error' }>;
      throw new InitError(message.errorType, message.errorMessage);
    }
    const container = new Container(spec, child, { coldStartMs: Date.now() - startedAt, initMs: ready.initMs });
    container.freeze();
    return container;
  }

  get alive(): boolean {
    return !this.dead;
  }

  get busy(): boolean {
    return this.pending !== null;
  }

  /** Invocations served so far (0 before the first: the next one is the cold start). */
  get served(): number {
    return this.invocations;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs one invocation; never rejects: a timeout or a crash is an outcome too, and the container is dead afterwards. */
  invoke(event: unknown, request: { readonly requestId: string; readonly invokedFunctionArn: string; readonly timeoutMs: number }): Promise<InvokeOutcome> {
    if (this.dead) throw new Error(`container of ${this.spec.name} is dead`);
    if (this.pending) throw new Error(`container of ${this.spec.name} is busy`);
    this.invocations++;
    this.thaw();
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.kill();
        const seconds = (request.timeoutMs / 1000).toFixed(2);
        this.settle({
          ok: false,
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${request.requestId} Error: Task timed out after ${seconds} seconds`,
          trace: [],
        });
      }, request.timeoutMs);
      this.pending = { requestId: request.requestId, resolve, timer };
      this.child.send({
        type: 'invoke',
        requestId: request.requestId,
        invokedFunctionArn: request.invokedFunctionArn,
        event,
        deadline: Date.now() + request.timeoutMs,
      });
    });
  }

  /** Ends the environment at once, whatever it is doing (Lambda's timeout, a crash, a recycled environment). */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.child.kill('SIGKILL');
  }

  private onMessage(message: Message): void {
    const pending = this.pending;
    if (!pending || (message.type !== 'response' && message.type !== 'error' && message.type !== 'fatal') || message.requestId !== pending.requestId) return;
    // The runtime ends the environment after this one: it is not kept for another invocation.
    if (message.type === 'fatal') this.kill();
    if (message.type === 'response') this.settle({ ok: true, payload: message.payload });
    else this.settle({ ok: false, errorType: message.errorType, errorMessage: message.errorMessage, trace: message.trace });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.dead = true;
    const pending = this.pending;
    if (pending)
      this.settle({
        ok: false,
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${pending.requestId} Error: Runtime exited with error: ${exitText(code, signal)}`,
        trace: [],
      });
  }

  private settle(outcome: InvokeOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = null;
    this.lastUsedAt = Date.now();
    if (!this.dead) this.freeze();
    pending.resolve(outcome);
  }

  /** Between invocations Lambda freezes the environment: nothing in it runs until the next one. */
  private freeze(): void {
    if (!this.dead) this.child.kill('SIGSTOP');
  }

  private thaw(): void {
    if (!this.dead) this.child.kill('SIGCONT');
  }
}

/** The init phase failed: Lambda answers the invocation with this error, and tries init again next time. */
export class InitError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'InitError';
  }
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal: ${signal.toLowerCase().replace(/^sig/, '')}` : `exit status ${code ?? 'unknown'}`;
}

function forwardLines(stream: NodeJS.ReadableStream, log: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      log(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  stream.on('end', () => {
    if (buffered) log(buffered);
  });
}
