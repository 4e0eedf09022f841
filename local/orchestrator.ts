/**
 * The whole orchestrator on one machine: the table in dynalite, `probes` voters in this
 * process (each with its own Redis connections), and the synthesized workflow run locally.
 * The same voter and step code as on AWS; only the adapters differ.
 */
import { createTable, DynamoDbStore } from '../lambdas/adapters/dynamodb-store.ts';
import { FanoutPublisher } from '../lambdas/adapters/publisher.ts';
import type { EventPublisher, ExecutionStatus, FailoverExecutions, FailoverStarter } from '../lambdas/core/interfaces.ts';
import type { Config } from '../lambdas/core/config.ts';
import { masterForClients, pauseInForce, type MasterRecord } from '../lambdas/core/store.ts';
import { distinctAddresses } from '../lambdas/core/address.ts';
import type { Address } from '../lambdas/core/types.ts';
import { unseenInstance } from '../lambdas/core/detection.ts';
import { monitorEvent } from '../lambdas/core/events.ts';
import type { FailoverInput } from '../lambdas/core/types.ts';
import { executionName } from '../lambdas/core/workflow-state.ts';
import type { VoterFaults } from '../lambdas/runtime/voter-deps.ts';
import { requestFailover, type FailoverRequestOptions, type FailoverStarted } from '../lambdas/runtime/failover-request.ts';
import { operate, type OperatorAction, type OperatorAnswers, type OperatorDeps, type OperatorRequest } from '../lambdas/runtime/operator.ts';
import { stateSpans, type ExecutionRecord } from '../lambdas/core/history.ts';
import { stateTypesOf } from './workflow-executor.ts';

import { masterRecord, seedKnownReplicas } from '../lambdas/runtime/seed.ts';
import { Voter } from '../lambdas/runtime/voter.ts';
import { startDynalite, type LocalDynamo } from './dynalite.ts';
import { unreachableWhen } from './faults.ts';
import type { MasterView } from './sentinel-fields.ts';
import { SentinelPort, type FailoverAnswer, type SentinelPortHandlers } from './sentinel-port.ts';
import { localStepDeps } from './step-deps.ts';
import { LocalWorkflow, type LocalExecution, type StepHooks } from './workflow-runner.ts';
import { FailoverRefused } from '../lambdas/core/errors.ts';
import { replyOf, type ErrorReply } from './resp-errors.ts';
import { TaskTokens } from './callback-tasks.ts';
import { approvalHook, type ApprovalHook } from './approval-hook.ts';

const LOCAL_TABLE = 'redis-failover';

export interface OrchestratorOptions {
  readonly config: Config;
  readonly publisher: EventPublisher;
  /** Faults per voter id (`voter-1` …), for tests. */
  readonly faults?: Readonly<Record<string, VoterFaults>>;
  /** While this says so, the voters cannot reach the table (the workflow still can). */
  readonly tableDown?: () => boolean;
  /** Hooks for one execution of the workflow, chosen by its input (e.g. crash epoch 1 only). */
  readonly workflowHooks?: (input: FailoverInput) => StepHooks | undefined;
  /** Notes for a person: who stood down, what was blocked, what failed. */
  readonly log?: (line: string) => void;
  /**
   * Reads the config again (the file, for `redis-failover local`) when a server refuses the
   * credentials: a password changed at run time is picked up without a restart.
   */
  readonly reloadConfig?: () => Config;
  /**
   * Answer Sentinel's commands (SENTINEL FAILOVER, GET-MASTER-ADDR-BY-NAME, MASTER(S), REPLICAS,
   * CKQUORUM…; see sentinel-port.ts) on this loopback port; 0 picks a free one. @default - no port
   */
  readonly sentinelPort?: number;
  /** The port's own password, as Sentinel's `requirepass`. @default - none */
  readonly sentinelPassword?: string;
  /**
   * False: no voters and no `+monitor`, only the table and the failover request, for one
   * `redis-failover failover` with no orchestrator running. @default true
   */
  readonly watch?: boolean;
  /** Who answers the approval tasks; tests answer through it. @default - the masters' preFailoverCommand only */
  readonly tokens?: TaskTokens;
}

type FailoverRequest = (name: string, options: FailoverRequestOptions) => Promise<FailoverStarted>;

/**
 * Runs the workflow in this process; the execution name keeps one run per master and epoch. It
 * also tells the failover history (redis-failover history), from what it ran.
 */
class LocalStarter implements FailoverStarter, FailoverExecutions {
  readonly executions = new Map<string, Promise<LocalExecution>>();
  private readonly runs = new Map<string, { input: FailoverInput; result: LocalExecution | null; stoppedAt: number | null }>();

  constructor(
    private readonly run: (input: FailoverInput) => Promise<LocalExecution>,
    private readonly log: (line: string) => void,
    private readonly types: ReadonlyMap<string, string>,
  ) {}

  async start(input: FailoverInput): Promise<void> {
    const name = executionName(input.master.name, input.epoch);
    if (this.executions.has(name)) return;
    const run = { input, result: null as LocalExecution | null, stoppedAt: null as number | null };
    this.runs.set(name, run);
    const execution = this.run(input).then((result) => {
      run.result = result;
      run.stoppedAt = Date.now();
      if (result.status !== 'SUCCEEDED') this.log(`failover ${name} ended ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`.trim());
      return result;
    });
    this.executions.set(name, execution);
  }

  async status(execution: string): Promise<ExecutionStatus> {
    const run = this.runs.get(execution);
    if (!run) return 'unknown';
    return run.result ? 'finished' : 'running';
  }

  async list(master: string, limit: number): Promise<ExecutionRecord[]> {
    return [...this.runs]
      .filter(([, run]) => run.input.master.name === master)
      .reverse()
      .slice(0, limit)
      .map(([name, { input, result, stoppedAt }]) => ({
        name,
        status: result?.status ?? 'RUNNING',
        startedAt: input.startedAt,
        stoppedAt,
        input,
        output: result?.output ?? result?.lastState ?? null,
        error: result?.error ?? null,
        cause: result?.cause ?? null,
        states: stateSpans(
          (result?.history ?? []).flatMap((e) =>
            e.state !== null && (e.type === 'StateEntered' || e.type === 'StateExited')
              ? [
                  {
                    kind: e.type === 'StateEntered' ? ('entered' as const) : ('exited' as const),
                    name: e.state,
                    type: this.types.get(e.state) ?? 'Task',
                    at: e.at,
                  },
                ]
              : [],
          ),
        ),
      }));
  }
}

export class LocalOrchestrator {
  private constructor(
    readonly voters: readonly Voter[],
    readonly store: DynamoDbStore,
    private readonly starter: LocalStarter,
    private readonly dynamo: LocalDynamo,
    private readonly running: Promise<unknown>,
    private readonly request: FailoverRequest,
    private readonly operator: (request: OperatorRequest) => Promise<unknown>,
    readonly config: Config,
    /** Where Sentinel's commands are answered, when asked for. */
    readonly sentinelPort: SentinelPort | null,
    private readonly approvals: ApprovalHook,
  ) {}

  /** SENTINEL FAILOVER <name> [COORDINATED]: through the voters' lease, refused with INPROG while one runs. */
  failover(name: string, options: FailoverRequestOptions = {}): Promise<FailoverStarted> {
    return this.request(name, options);
  }

  /** An operator's request (pause, resume, status, history…), as the request function answers it on AWS. */
  operate<A extends OperatorAction>(request: OperatorRequest & { action: A }): Promise<OperatorAnswers[A]> {
    return this.operator(request) as Promise<OperatorAnswers[A]>;
  }

  /** SENTINEL GET-MASTER-ADDR-BY-NAME: the master of record, null for an unknown name. */
  masterAddress(name: string): Promise<Address | null> {
    return masterOfRecord(this.config, this.store, name);
  }

  /** Executions started so far, by name (`mymaster-1`). */
  get executions(): ReadonlyMap<string, Promise<LocalExecution>> {
    return this.starter.executions;
  }

  static async start(options: OrchestratorOptions): Promise<LocalOrchestrator> {
    const { config } = options;
    const log = options.log ?? (() => undefined);
    const workflow = await LocalWorkflow.load();
    const dynamo = await startDynalite();
    let port: SentinelPort | null = null;
    let hook: ApprovalHook | null = null;
    try {
      await createTable(dynamo.client, LOCAL_TABLE);
      const store = new DynamoDbStore({ client: dynamo.client, tableName: LOCAL_TABLE });
      // First: a port in use fails the start with nothing left running. Requests are answered once the
      // voters exist, replicas observed once the link options do (both come after the publisher, which needs the port).
      let request: FailoverRequest = async () => {
        throw new FailoverRefused('INPROG', 'the orchestrator is starting');
      };
      let operator: (request: OperatorRequest) => Promise<unknown> = async () => {
        throw new FailoverRefused('INPROG', 'the orchestrator is starting');
      };
      const late: PortDeps = { request: (name, options) => request(name, options), operator: (req) => operator(req) };
      let voters: Voter[] = [];
      port =
        options.sentinelPort === undefined
          ? null
          : await SentinelPort.listen({
              port: options.sentinelPort,
              handlers: sentinelHandlers(config, store, late, () => voters),
              ...(options.sentinelPassword && { password: options.sentinelPassword }),
            });
      // Every event also goes to the port's subscribers, on the channel of its name, as Sentinel publishes them,
      // and approval requests to the masters' preFailoverCommand (the pre-failover veto).
      const tokens = options.tokens ?? new TaskTokens();
      hook = approvalHook(config.masters, tokens, log);
      const publisher = new FanoutPublisher([options.publisher, ...(port ? [portPublisher(port)] : []), hook]);
      const stepDeps = localStepDeps(config.masters, publisher, { store }, options.reloadConfig);
      const { linkOptions } = stepDeps;
      const watch = options.watch ?? true;
      for (const master of watch ? config.masters : []) {
        const record = await masterRecord(master, { store, linkOptions, log });
        await publisher.publish([monitorEvent(record, master.quorum)]);
      }
      await seedKnownReplicas(config.masters, { store, publisher, linkOptions, now: () => Date.now() });
      // The voters share this process and this output: a note every voter finds is said once (again after a quiet spell).
      const notice = sayOnceWithin(log, NOTICE_REPEAT_MS);
      const starter = new LocalStarter(
        (input) => workflow.run(input, stepDeps, options.workflowHooks?.(input), tokens),
        log,
        stateTypesOf(workflow.definition),
      );
      voters = Array.from({ length: watch ? config.probes : 0 }, (_, i) => {
        const voterId = `voter-${i + 1}`;
        return new Voter(config.masters, {
          voterId,
          store: options.tableDown ? unreachableWhen(store, options.tableDown) : store,
          publisher,
          starter,
          linkOptions,
          now: () => Date.now(),
          faults: options.faults?.[voterId],
          log,
          notice,
        });
      });
      const operatorDeps: OperatorDeps = {
        masters: config.masters,
        store,
        starter,
        publisher,
        linkOptions,
        now: () => Date.now(),
        executions: starter,
        voters: async () => voters.map((voter) => ({ voter: voter.id, alive: voter.crashed === null })),
      };
      request = (name, options) => requestFailover(name, operatorDeps, options);
      operator = (req) => operate(req, operatorDeps);
      const running = Promise.all(voters.map((voter) => voter.run()));
      return new LocalOrchestrator(voters, store, starter, dynamo, running, request, late.operator, config, port, hook);
    } catch (error) {
      hook?.stop();
      await port?.close();
      await dynamo.stop();
      throw error;
    }
  }

  /** Stops every voter, waits for running failovers to end, then stops the table. */
  async stop(): Promise<void> {
    await this.sentinelPort?.close();
    this.approvals.stop();
    for (const voter of this.voters) voter.stop();
    await this.running;
    await Promise.allSettled(this.starter.executions.values());
    await this.dynamo.stop();
  }
}

/** An identical notice within this long of the last one is another voter saying the same thing. */
const NOTICE_REPEAT_MS = 10_000;

function sayOnceWithin(log: (line: string) => void, windowMs: number): (line: string) => void {
  const saidAt = new Map<string, number>();
  return (line) => {
    const now = Date.now();
    const last = saidAt.get(line);
    saidAt.set(line, now);
    if (last === undefined || now - last > windowMs) log(line);
  };
}

/** Sentinel's pub/sub: each event on the channel named after it, its message as the payload. */
function portPublisher(port: SentinelPort): EventPublisher {
  return {
    async publish(events) {
      for (const event of events) port.publish(event.type, event.message);
    },
  };
}

/** What the port's handlers need besides the config and the table, bound once the orchestrator has it. */
interface PortDeps {
  readonly request: FailoverRequest;
  readonly operator: (request: OperatorRequest) => Promise<unknown>;
}

/**
 * Sentinel's commands answered from the config, the table and what a voter sees, as a Sentinel
 * answers from its own view: the first voter still running that has read the master of record.
 */
function sentinelHandlers(config: Config, store: DynamoDbStore, deps: PortDeps, voters: () => readonly Voter[]): SentinelPortHandlers {
  const watchOf = (name: string) =>
    voters()
      .filter((voter) => voter.crashed === null)
      .map((voter) => voter.watches.find((watch) => watch.config.name === name)?.view() ?? null)
      .find((view) => view !== null) ?? null;
  return {
    masters: () => config.masters.map((m) => m.name),
    masterAddress: (name) => masterOfRecord(config, store, name),
    master: async (name) => {
      const master = config.masters.find((m) => m.name === name);
      if (!master) return null;
      const seen = watchOf(name);
      // Before any voter has read the record (at start-up), the table's word, with nothing observed yet.
      const record = seen?.record ?? (await store.getMaster(name));
      if (!record) return null;
      const replicas = seen ? seen.replicas.length : distinctAddresses(await store.listReplicas(name), [record]).length;
      const view: MasterView = {
        ...(seen?.master ?? unseenInstance({ host: record.host, port: record.port })),
        name,
        epoch: record.epoch,
        quorum: master.quorum,
        downAfterMs: master.downAfterMs,
        failoverTimeoutMs: master.failoverTimeoutMs,
        parallelSyncs: master.parallelSyncs,
        replicas,
        odownSince: seen?.odownSince ?? null,
        failoverState: failoverState(record),
        // The table's word: a pause set a moment ago shows before the voters read it.
        pausedUntil: pauseInForce((await store.getMaster(name)) ?? record, Date.now())?.until ?? null,
      };
      return view;
    },
    replicas: async (name) => {
      if (!config.masters.some((m) => m.name === name)) return null;
      const seen = watchOf(name);
      if (seen) return seen.replicas;
      const record = await store.getMaster(name);
      if (!record) return null;
      return distinctAddresses(await store.listReplicas(name), [record]).map(unseenInstance);
    },
    quorum: (name) => {
      const master = config.masters.find((m) => m.name === name);
      // Every voter runs in this process: all `probes` of them can vote.
      return master ? { voters: config.probes, quorum: master.quorum } : null;
    },
    operator: (request) => answered(async () => ({ json: await deps.operator(request) })),
    failover: (name, options): Promise<FailoverAnswer> =>
      answered(async () => {
        await deps.request(name, options);
        return {};
      }),
  };
}

/**
 * A request's answer for the port: ok with what it gave, or our error as its reply. Anything not
 * ours (the store unreachable…) is thrown, and the port answers -ERR <message>.
 */
async function answered<T extends object>(work: () => Promise<T>): Promise<({ ok: true } & T) | ({ ok: false } & ErrorReply)> {
  try {
    return { ok: true, ...(await work()) };
  } catch (error) {
    const reply = replyOf(error);
    if (!reply) throw error;
    return { ok: false, ...reply };
  }
}

/** Sentinel's failover-state for the phase the record shows: promoted and confirmed, sent, or not yet. */
function failoverState(record: MasterRecord): string | null {
  if (!record.failover) return null;
  const promoted = record.promoted?.epoch === record.epoch ? record.promoted : null;
  return promoted?.confirmedAt != null ? 'reconf_slaves' : promoted ? 'wait_promotion' : 'select_slave';
}

async function masterOfRecord(config: Config, store: DynamoDbStore, name: string): Promise<Address | null> {
  if (!config.masters.some((m) => m.name === name)) return null;
  const record = await store.getMaster(name);
  return record ? masterForClients(record) : null;
}
