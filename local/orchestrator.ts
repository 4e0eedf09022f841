/**
 * The whole orchestrator on one machine: the table in dynalite, `probes` voters in this
 * process (each with its own Redis connections), and the synthesized workflow run locally.
 * The same voter and step code as on AWS; only the adapters differ.
 */
import { createTable, DynamoDbStore } from '../lambdas/adapters/dynamodb-store.ts';
import { FanoutPublisher, type EventPublisher } from '../lambdas/adapters/publisher.ts';
import type { Config } from '../lambdas/core/config.ts';
import type { Address } from '../lambdas/core/types.ts';
import { monitorEvent } from '../lambdas/core/events.ts';
import type { FailoverInput } from '../lambdas/core/types.ts';
import { executionName } from '../lambdas/core/workflow-state.ts';
import type { VoterFaults } from '../lambdas/runtime/master-watch.ts';
import type { ExecutionStatus, FailoverStarter } from '../lambdas/runtime/starter.ts';
import { FailoverRefused, requestFailover, type FailoverStarted } from '../lambdas/runtime/failover-request.ts';
import { seedKnownReplicas } from '../lambdas/runtime/seed.ts';
import { Voter } from '../lambdas/runtime/voter.ts';
import { startDynalite, type LocalDynamo } from './dynalite.ts';
import { unreachableWhen } from './faults.ts';
import { SentinelPort, type FailoverAnswer } from './sentinel-port.ts';
import { localStepDeps } from './step-deps.ts';
import { LocalWorkflow, type LocalExecution, type StepHooks } from './workflow-runner.ts';

export const LOCAL_TABLE = 'redis-failover';

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
   * Answer Sentinel's commands (SENTINEL FAILOVER, GET-MASTER-ADDR-BY-NAME) on this loopback
   * port; 0 picks a free one. @default - no port
   */
  readonly sentinelPort?: number;
}

/** Runs the workflow in this process; the execution name keeps one run per master and epoch. */
class LocalStarter implements FailoverStarter {
  readonly executions = new Map<string, Promise<LocalExecution>>();
  private readonly finished = new Set<string>();

  constructor(
    private readonly run: (input: FailoverInput) => Promise<LocalExecution>,
    private readonly log: (line: string) => void,
  ) {}

  async start(input: FailoverInput): Promise<void> {
    const name = executionName(input.master.name, input.epoch);
    if (this.executions.has(name)) return;
    const execution = this.run(input).then((result) => {
      this.finished.add(name);
      if (result.status !== 'SUCCEEDED') this.log(`failover ${name} ended ${result.status}: ${result.error ?? ''} ${result.cause ?? ''}`.trim());
      return result;
    });
    this.executions.set(name, execution);
  }

  async status(execution: string): Promise<ExecutionStatus> {
    if (this.finished.has(execution)) return 'finished';
    return this.executions.has(execution) ? 'running' : 'unknown';
  }
}

export class LocalOrchestrator {
  private constructor(
    readonly voters: readonly Voter[],
    readonly store: DynamoDbStore,
    private readonly starter: LocalStarter,
    private readonly dynamo: LocalDynamo,
    private readonly running: Promise<unknown>,
    private readonly request: (name: string) => Promise<FailoverStarted>,
    readonly config: Config,
    /** Where Sentinel's commands are answered, when asked for. */
    readonly sentinelPort: SentinelPort | null,
  ) {}

  /** SENTINEL FAILOVER <name>: through the voters' lease, refused with INPROG while one runs. */
  failover(name: string): Promise<FailoverStarted> {
    return this.request(name);
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
    try {
      await createTable(dynamo.client, LOCAL_TABLE);
      const store = new DynamoDbStore({ client: dynamo.client, tableName: LOCAL_TABLE });
      // First: a port in use fails the start with nothing left running. Requests are answered once the voters exist.
      let request: (name: string) => Promise<FailoverStarted> = async () => {
        throw new FailoverRefused('INPROG', 'the orchestrator is starting');
      };
      port = options.sentinelPort === undefined ? null : await SentinelPort.listen({ port: options.sentinelPort, handlers: sentinelHandlers(config, store, (name) => request(name)) });
      // Every event also goes to the port's subscribers, on the channel of its name, as Sentinel publishes them.
      const publisher = port ? new FanoutPublisher([options.publisher, portPublisher(port)]) : options.publisher;
      for (const master of config.masters) {
        const record = await store.ensureMaster(master);
        await publisher.publish([monitorEvent(record, master.quorum)]);
      }
      await seedKnownReplicas(config.masters, { store, publisher, now: () => Date.now() });
      const stepDeps = localStepDeps(config.masters, publisher, { store }, options.reloadConfig);
      const starter = new LocalStarter((input) => workflow.run(input, stepDeps, options.workflowHooks?.(input)), log);
      const voters = Array.from({ length: config.probes }, (_, i) => {
        const voterId = `voter-${i + 1}`;
        return new Voter(config.masters, {
          voterId,
          store: options.tableDown ? unreachableWhen(store, options.tableDown) : store,
          publisher,
          starter,
          linkOptions: stepDeps.linkOptions,
          now: () => Date.now(),
          faults: options.faults?.[voterId],
          log,
        });
      });
      request = (name: string) =>
        requestFailover(name, { masters: config.masters, store, starter, publisher, linkOptions: stepDeps.linkOptions, now: () => Date.now() });
      const running = Promise.all(voters.map((voter) => voter.run()));
      return new LocalOrchestrator(voters, store, starter, dynamo, running, request, config, port);
    } catch (error) {
      await port?.close();
      await dynamo.stop();
      throw error;
    }
  }

  /** Stops every voter, waits for running failovers to end, then stops the table. */
  async stop(): Promise<void> {
    await this.sentinelPort?.close();
    for (const voter of this.voters) voter.stop();
    await this.running;
    await Promise.allSettled(this.starter.executions.values());
    await this.dynamo.stop();
  }
}

/** Sentinel's pub/sub: each event on the channel named after it, its message as the payload. */
function portPublisher(port: SentinelPort): EventPublisher {
  return {
    async publish(events) {
      for (const event of events) port.publish(event.type, event.message);
    },
  };
}

/** SENTINEL FAILOVER and GET-MASTER-ADDR-BY-NAME answered from the table, as Sentinel would. */
function sentinelHandlers(config: Config, store: DynamoDbStore, request: (name: string) => Promise<FailoverStarted>) {
  return {
    masters: () => config.masters.map((m) => m.name),
    masterAddress: (name: string) => masterOfRecord(config, store, name),
    master: async (name: string): Promise<Array<[string, string]> | null> => {
      const master = config.masters.find((m) => m.name === name);
      const record = master ? await store.getMaster(name) : null;
      if (!master || !record) return null;
      const replicas = await store.listReplicas(name);
      return [
        ['name', name],
        ['ip', record.host],
        ['port', String(record.port)],
        // Sentinel's flags: failover_in_progress while a failover holds the lease.
        ['flags', record.failover ? 'master,failover_in_progress' : 'master'],
        ['config-epoch', String(record.epoch)],
        ['num-slaves', String(replicas.length)],
        ['quorum', String(master.quorum)],
        ['down-after-milliseconds', String(master.downAfterMs)],
        ['failover-timeout', String(master.failoverTimeoutMs)],
        ['parallel-syncs', String(master.parallelSyncs)],
      ];
    },
    failover: async (name: string): Promise<FailoverAnswer> => {
      try {
        await request(name);
        return { ok: true };
      } catch (error) {
        if (!(error instanceof FailoverRefused)) throw error;
        return { ok: false, code: error.code === 'UNKNOWN' ? 'ERR' : error.code, message: error.detail };
      }
    },
  };
}

async function masterOfRecord(config: Config, store: DynamoDbStore, name: string): Promise<Address | null> {
  if (!config.masters.some((m) => m.name === name)) return null;
  const record = await store.getMaster(name);
  return record ? { host: record.host, port: record.port } : null;
}
