/**
 * The Lambda service of the simulation: each function's execution environments (containers),
 * reused while warm, a new one (a cold start) when none is free, at most the function's
 * reserved concurrency at once; synchronous invocations (Step Functions' tasks) and
 * asynchronous ones (EventBridge Scheduler) with Lambda's queue: a throttled event waits and is
 * tried again with backoff, a failed one is retried as EventInvokeConfig says, and an event older
 * than its maximum age is dropped.
 */
import { randomUUID } from 'node:crypto';
import { Container, InitError, type InvokeOutcome } from './container.ts';
import type { FunctionSpec } from './function-spec.ts';
import { runtimeNode } from './runtime-node.ts';

/** One invocation as Lambda's REPORT line would tell it, plus whether it waited for a new environment. */
export interface InvocationRecord {
  readonly function: string;
  readonly requestId: string;
  readonly type: 'sync' | 'async';
  readonly event: unknown;
  /** This invocation started a new environment (and paid its init). */
  readonly cold: boolean;
  /** Spawn to handler loaded, for a cold invocation. */
  readonly coldStartMs: number | null;
  readonly receivedAt: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: 'ok' | 'error' | 'timeout' | 'crash' | 'init-error';
  readonly errorType: string | null;
  readonly errorMessage: string | null;
  readonly payload: unknown;
}

/** An asynchronous event Lambda gave up on. */
export interface DroppedEvent {
  readonly function: string;
  readonly requestId: string;
  readonly reason: 'max-event-age' | 'retries-exhausted';
  readonly at: number;
}

/** An error of the Lambda API itself (the function never ran): Step Functions sees `Lambda.<code>`. */
export class LambdaServiceError extends Error {
  constructor(
    readonly code: 'TooManyRequestsException' | 'ResourceNotFoundException' | 'ServiceException',
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export interface SyncResult {
  /** The function's answer, or Lambda's error object for a function error. */
  readonly payload: unknown;
  /** `Unhandled` when the function failed (Lambda's X-Amz-Function-Error), else null. */
  readonly functionError: 'Unhandled' | null;
  readonly record: InvocationRecord;
}

export interface LambdaServiceOptions {
  /** The whole environment of one of the function's containers. */
  readonly environment: (spec: FunctionSpec) => Readonly<Record<string, string>>;
  /** Each line a function writes. */
  readonly log?: (spec: FunctionSpec, line: string) => void;
  /**
   * An environment idle this long is recycled (Lambda does so after minutes, at a time it does not
   * promise); provisioned ones never are.
   * @default Infinity
   */
  readonly idleMs?: number;
  /** @default 1000, an account's default concurrency */
  readonly unreservedConcurrency?: number;
  /** The command each of a function's containers starts under (ContainerOptions.launcher). @default - none */
  readonly launcher?: (spec: FunctionSpec) => readonly string[] | undefined;
}

interface QueuedEvent {
  readonly requestId: string;
  readonly event: unknown;
  readonly receivedAt: number;
  notBefore: number;
  attempts: number;
  throttles: number;
}

interface FunctionState {
  readonly spec: FunctionSpec;
  readonly containers: Container[];
  readonly provisioned: Set<Container>;
  starting: number;
  readonly queue: QueuedEvent[];
}

/** Lambda's backoff for a throttled asynchronous event: from 1 s, doubling, at most 5 minutes. */
const THROTTLE_BACKOFF_MS = { first: 1000, max: 300_000 };
/** Lambda waits 1 minute before the second attempt of a failed asynchronous event, 2 before the third. */
const ERROR_RETRY_DELAYS_MS = [60_000, 120_000];

export class LambdaService {
  readonly invocations: InvocationRecord[] = [];
  readonly dropped: DroppedEvent[] = [];
  /** Each time an invocation found the function's concurrency in use (Lambda's Throttles metric counts these). */
  readonly throttles: Array<{ readonly function: string; readonly at: number }> = [];
  private readonly functions = new Map<string, FunctionState>();
  private readonly listeners = new Set<(record: InvocationRecord) => void>();
  private readonly logs = new Map<string, string[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Environments handed to an invocation that has not reached them yet. */
  private readonly claimed = new Set<Container>();
  private readonly reaper: NodeJS.Timeout;
  private stopped = false;

  constructor(
    specs: readonly FunctionSpec[],
    private readonly options: LambdaServiceOptions,
  ) {
    for (const spec of specs) this.functions.set(spec.name, { spec, containers: [], provisioned: new Set(), starting: 0, queue: [] });
    this.reaper = setInterval(() => this.reapIdle(), 1000);
    this.reaper.unref();
  }

  /** Every function, by physical name. */
  get specs(): readonly FunctionSpec[] {
    return [...this.functions.values()].map((f) => f.spec);
  }

  /** Provisioned concurrency: those environments are initialized before any invocation, and kept. */
  async provision(): Promise<void> {
    await Promise.all(
      [...this.functions.values()].flatMap((fn) => {
        const count = fn.spec.aliases.reduce((sum, alias) => sum + alias.provisionedConcurrency, 0);
        return Array.from({ length: count }, async () => {
          const container = await this.startContainer(fn, 'provisioned-concurrency');
          fn.provisioned.add(container);
        });
      }),
    );
  }

  /** The function a name, an ARN or a qualified (alias, version) ARN names. */
  resolve(target: string): FunctionSpec {
    return this.state(target).spec;
  }

  /** A synchronous invocation: the function's answer, or a LambdaServiceError when it could not run. */
  async invoke(target: string, event: unknown): Promise<SyncResult> {
    if (this.stopped) throw new LambdaServiceError('ServiceException', 'the simulated deployment is stopped');
    const fn = this.state(target);
    const receivedAt = Date.now();
    const acquired = await this.acquire(fn).catch((error: unknown) => {
      if (error instanceof InitError) return error; // the init error is the invocation's error, as Lambda answers it
      throw error;
    });
    if (acquired === 'throttled') this.throttles.push({ function: fn.spec.name, at: Date.now() });
    if (acquired === 'throttled')
      throw new LambdaServiceError('TooManyRequestsException', `Rate Exceeded. (${fn.spec.name}: concurrency ${this.limit(fn)} in use)`);
    const record = await this.run(fn, acquired, { requestId: randomUUID(), event, receivedAt, type: 'sync' });
    const failed = record.outcome !== 'ok';
    return {
      payload: failed ? { errorType: record.errorType, errorMessage: record.errorMessage, trace: [] } : record.payload,
      functionError: failed ? 'Unhandled' : null,
      record,
    };
  }

  /** An asynchronous invocation (InvocationType Event): queued, answered at once with its request id. */
  invokeAsync(target: string, event: unknown): string {
    if (this.stopped) throw new LambdaServiceError('ServiceException', 'the simulated deployment is stopped');
    const fn = this.state(target);
    const requestId = randomUUID();
    const now = Date.now();
    fn.queue.push({ requestId, event, receivedAt: now, notBefore: now, attempts: 0, throttles: 0 });
    this.pump(fn);
    return requestId;
  }

  on(listener: (record: InvocationRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** What a function has written, line by line (its CloudWatch Logs). */
  logLines(target: string): readonly string[] {
    return this.logs.get(this.state(target).spec.name) ?? [];
  }

  /** Live environments of a function. */
  containers(target: string): readonly Container[] {
    return this.state(target).containers.filter((c) => c.alive);
  }

  /** Ends the idle environments of the chosen functions: their next invocations are cold starts ("after a quiet week"). */
  recycle(which: (spec: FunctionSpec) => boolean = () => true): number {
    let count = 0;
    for (const fn of this.functions.values()) {
      if (!which(fn.spec)) continue;
      for (const container of fn.containers) {
        if (container.alive && !container.busy) {
          container.kill();
          count++;
        }
      }
      this.prune(fn);
    }
    return count;
  }

  /** Kills the environments running an invocation of this function now, as Lambda does at its timeout. */
  crash(target: string): number {
    const fn = this.state(target);
    const busy = fn.containers.filter((c) => c.alive && c.busy);
    for (const container of busy) container.kill();
    return busy.length;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reaper);
    for (const timer of this.timers) clearTimeout(timer);
    for (const fn of this.functions.values()) for (const container of fn.containers) container.kill();
  }

  private state(target: string): FunctionState {
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    const name = target.includes(':function:') ? target.split(':function:')[1]!.split(':')[0]! : target;
    const fn = this.functions.get(name);
    if (!fn) throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${target}`);
    return fn;
  }

  private limit(fn: FunctionState): number {
    return fn.spec.reservedConcurrency ?? this.options.unreservedConcurrency ?? 1000;
  }

  /** A free warm environment, else a new one within the concurrency limit, else 'throttled'. */
  private async acquire(fn: FunctionState): Promise<{ container: Container; cold: boolean } | 'throttled'> {
    this.prune(fn);
    const idle = fn.containers.find((c) => c.alive && !c.busy && !this.claimed.has(c));
    if (idle) {
      this.claimed.add(idle);
      return { container: idle, cold: false };
    }
    const inUse = fn.containers.filter((c) => c.alive).length + fn.starting;
    if (inUse >= this.limit(fn)) return 'throttled';
    const container = await this.startContainer(fn, 'on-demand');
    this.claimed.add(container);
    return { container, cold: true };
  }

  private async startContainer(fn: FunctionState, initType: 'on-demand' | 'provisioned-concurrency'): Promise<Container> {
    fn.starting++;
    try {
      const node = runtimeNode(fn.spec.runtime);
      const env = { ...this.options.environment(fn.spec), AWS_LAMBDA_INITIALIZATION_TYPE: initType };
      const launcher = this.options.launcher?.(fn.spec);
      const container = await Container.start(fn.spec, { node: node.path, env, log: (line) => this.log(fn.spec, line), ...(launcher && { launcher }) });
      fn.containers.push(container);
      return container;
    } finally {
      fn.starting--;
    }
  }

  private async run(
    fn: FunctionState,
    acquired: { container: Container; cold: boolean } | InitError,
    request: { requestId: string; event: unknown; receivedAt: number; type: 'sync' | 'async' },
  ): Promise<InvocationRecord> {
    const startedAt = Date.now();
    let outcome: InvokeOutcome;
    let container: Container | null = null;
    if (acquired instanceof InitError) {
      outcome = { ok: false, errorType: acquired.errorType, errorMessage: acquired.message, trace: [] };
    } else {
      container = acquired.container;
      this.claimed.delete(container);
      outcome = await container.invoke(request.event, { requestId: request.requestId, invokedFunctionArn: fn.spec.arn, timeoutMs: fn.spec.timeoutMs });
    }
    const cold = !(acquired instanceof InitError) && acquired.cold;
    const record: InvocationRecord = {
      function: fn.spec.name,
      requestId: request.requestId,
      type: request.type,
      event: request.event,
      cold,
      coldStartMs: cold && container ? container.coldStartMs : null,
      receivedAt: request.receivedAt,
      startedAt,
      endedAt: Date.now(),
      outcome: outcomeOf(outcome, acquired instanceof InitError),
      errorType: outcome.ok ? null : outcome.errorType,
      errorMessage: outcome.ok ? null : outcome.errorMessage,
      payload: outcome.ok ? outcome.payload : null,
    };
    this.invocations.push(record);
    for (const listener of this.listeners) listener(record);
    this.prune(fn);
    this.pump(fn);
    return record;
  }

  /** Starts what the asynchronous queue can start now, and sets a timer for what must wait. */
  private pump(fn: FunctionState): void {
    if (this.stopped) return;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const queued of [...fn.queue]) {
      if (now - queued.receivedAt > fn.spec.async.maxEventAgeMs) {
        this.drop(fn, queued, 'max-event-age');
        continue;
      }
      if (queued.notBefore > now) {
        next = Math.min(next, queued.notBefore);
        continue;
      }
      const inUse = fn.containers.filter((c) => c.alive && (c.busy || this.claimed.has(c))).length + fn.starting;
      const idle = fn.containers.some((c) => c.alive && !c.busy && !this.claimed.has(c));
      if (!idle && inUse >= this.limit(fn)) {
        this.throttles.push({ function: fn.spec.name, at: now });
        queued.notBefore = now + Math.min(THROTTLE_BACKOFF_MS.max, THROTTLE_BACKOFF_MS.first * 2 ** queued.throttles++);
        next = Math.min(next, queued.notBefore);
        continue;
      }
      fn.queue.splice(fn.queue.indexOf(queued), 1);
      void this.runQueued(fn, queued);
    }
    if (Number.isFinite(next)) {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          this.pump(fn);
        },
        Math.max(0, next - now),
      );
      this.timers.add(timer);
    }
  }

  private async runQueued(fn: FunctionState, queued: QueuedEvent): Promise<void> {
    queued.attempts++;
    let acquired: { container: Container; cold: boolean } | 'throttled' | InitError;
    try {
      acquired = await this.acquire(fn);
    } catch (error) {
      acquired = error instanceof InitError ? error : new InitError('ServiceException', String(error));
    }
    if (acquired === 'throttled') {
      this.throttles.push({ function: fn.spec.name, at: Date.now() });
      queued.attempts--;
      queued.notBefore = Date.now() + THROTTLE_BACKOFF_MS.first * 2 ** queued.throttles++;
      fn.queue.push(queued);
      this.pump(fn);
      return;
    }
    const record = await this.run(fn, acquired, { requestId: queued.requestId, event: queued.event, receivedAt: queued.receivedAt, type: 'async' });
    if (record.outcome === 'ok' || this.stopped) return;
    if (queued.attempts > fn.spec.async.maxRetryAttempts) {
      this.drop(fn, queued, 'retries-exhausted');
      return;
    }
    queued.notBefore = Date.now() + (ERROR_RETRY_DELAYS_MS[queued.attempts - 1] ?? ERROR_RETRY_DELAYS_MS.at(-1)!);
    fn.queue.push(queued);
    this.pump(fn);
  }

  private drop(fn: FunctionState, queued: QueuedEvent, reason: DroppedEvent['reason']): void {
    const at = fn.queue.indexOf(queued);
    if (at >= 0) fn.queue.splice(at, 1);
    this.dropped.push({ function: fn.spec.name, requestId: queued.requestId, reason, at: Date.now() });
  }

  private reapIdle(): void {
    const idleMs = this.options.idleMs ?? Number.POSITIVE_INFINITY;
    if (!Number.isFinite(idleMs)) return;
    const now = Date.now();
    for (const fn of this.functions.values()) {
      for (const container of fn.containers) {
        if (container.alive && !container.busy && !this.claimed.has(container) && !fn.provisioned.has(container) && now - container.lastUsedAt > idleMs)
          container.kill();
      }
      this.prune(fn);
    }
  }

  private prune(fn: FunctionState): void {
    for (let i = fn.containers.length - 1; i >= 0; i--) {
      const container = fn.containers[i]!;
      if (!container.alive) {
        fn.containers.splice(i, 1);
        fn.provisioned.delete(container);
      }
    }
  }

  private log(spec: FunctionSpec, line: string): void {
    let lines = this.logs.get(spec.name);
    if (!lines) this.logs.set(spec.name, (lines = []));
    lines.push(line);
    this.options.log?.(spec, line);
  }
}

function outcomeOf(outcome: InvokeOutcome, init: boolean): InvocationRecord['outcome'] {
  if (outcome.ok) return 'ok';
  if (init) return 'init-error';
  if (outcome.errorType === 'Sandbox.Timedout') return 'timeout';
  if (outcome.errorType === 'Runtime.ExitError') return 'crash';
  return 'error';
}
