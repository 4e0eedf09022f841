/**
 * The deployed stack, run on this machine: the composition root of the simulation. From a cloud
 * assembly (`cdk.out`) it "deploys" every Lambda function (its bundle, copied out of the
 * assembly as Lambda unpacks it into /var/task) and Lambda's Invoke API over them, the state
 * machine, the table, the bus and its rules, Secrets Manager, the hosted zones (Route 53's API
 * and the VPC resolver), and the schedules, all on loopback. Each function gets exactly the
 * environment the template gives it, plus what Lambda itself sets (region, credentials of its
 * role, task root, handler) and the loopback endpoints the SDK finds through
 * AWS_ENDPOINT_URL_<SERVICE>; AWS_ENDPOINT_URL catches anything else, so nothing leaves the machine.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LOCAL_REGION } from '../local/cloudformation.ts';
import { readAssembly, type Assembly } from './assembly.ts';
import type { FunctionSpec } from './lambda/function-spec.ts';
import { runtimeNode } from './lambda/runtime-node.ts';
import { runtimeSdkPath } from './lambda/runtime-sdk.ts';
import { LambdaService } from './lambda/service.ts';
import { Scheduler } from './scheduler.ts';
import { startCatchAllServer, type CatchAllServer } from './services/aws-json-server.ts';
import { TableStandIn } from './services/dynamodb.ts';
import { startDnsServer, type DnsServer } from './services/dns-server.ts';
import { EventBridgeStandIn } from './services/eventbridge.ts';
import { LambdaApiStandIn } from './services/lambda-api.ts';
import { Route53StandIn, type HostedZoneSpec } from './services/route53.ts';
import { SecretsManagerStandIn } from './services/secrets-manager.ts';
import { StepFunctionsStandIn, type TaskCallbacks } from './services/step-functions.ts';
import { AwsServiceError } from './services/aws-json-server.ts';
import { TaskTokens } from '../local/callback-tasks.ts';
import { simulatedStateMachine, type SimulatedStateMachine } from './workflow.ts';

export interface DeploymentOptions {
  /** The cloud assembly folder (`cdk.out`), or one already read. */
  readonly assembly: string | Assembly;
  /** SecretString of each secret the config names, by ARN. */
  readonly secrets?: Readonly<Record<string, string>>;
  /**
   * Start the schedules (probes, warm-ups) at once.
   * @default true
   */
  readonly schedules?: boolean;
  /** Every line a function writes, for a person watching. */
  readonly log?: (fn: FunctionSpec, line: string) => void;
  /** See LambdaServiceOptions.idleMs. @default Infinity */
  readonly idleMs?: number;
  /**
   * The address every service listens on: one that each function's network reaches (with
   * `launcher`, functions may run in network namespaces of their own). @default '127.0.0.1'
   */
  readonly host?: string;
  /** See LambdaServiceOptions.launcher. @default - none */
  readonly launcher?: (spec: FunctionSpec) => readonly string[] | undefined;
  /** Hosted zones that exist beside the stack's own (one the stack imports by id). @default - none */
  readonly hostedZones?: readonly HostedZoneSpec[];
  /** Route 53 API requests per second (the account's limit). @default 5 */
  readonly route53Rate?: number;
  /** Where the VPC resolver's stand-in listens (port 53 for a system resolver). @default - `host`, a port the OS picks */
  readonly dns?: { readonly host?: string; readonly port?: number };
}

export class SimulatedDeployment {
  private constructor(
    readonly assembly: Assembly,
    readonly lambda: LambdaService,
    /** Lambda's Invoke API over those functions, where AWS_ENDPOINT_URL_LAMBDA points. */
    readonly lambdaApi: LambdaApiStandIn,
    readonly table: TableStandIn,
    readonly events: EventBridgeStandIn,
    readonly stepFunctions: StepFunctionsStandIn,
    readonly secrets: SecretsManagerStandIn,
    /** The hosted zones' records, through the API the functions call. */
    readonly route53: Route53StandIn,
    /** The VPC resolver over those zones (answers cached for their TTL), for clients to resolve the endpoints. */
    readonly dns: DnsServer,
    readonly scheduler: Scheduler,
    readonly stateMachines: readonly SimulatedStateMachine[],
    private readonly catchAll: CatchAllServer,
    private readonly taskRoot: string,
    /** Function name of each access key: who called what. */
    readonly callers: ReadonlyMap<string, string>,
  ) {}

  static async start(options: DeploymentOptions): Promise<SimulatedDeployment> {
    const assembly = typeof options.assembly === 'string' ? readAssembly(options.assembly) : options.assembly;
    const started: Array<{ stop(): Promise<void> | void }> = [];
    const taskRoot = mkdtempSync(path.join(tmpdir(), 'redis-failover-sim-'));
    try {
      const host = options.host && { host: options.host };
      const table = await TableStandIn.start({
        tables: assembly.tables.map((t) => ({ name: t.name, keySchema: t.keySchema, attributeDefinitions: t.attributeDefinitions })),
        ...host,
      });
      started.push(table);
      const events = await EventBridgeStandIn.start({ buses: [...assembly.buses], rules: assembly.rules.map((r) => ({ ...r })), ...host });
      started.push(events);
      const secrets = await SecretsManagerStandIn.start({ secrets: { ...options.secrets }, ...host });
      started.push(secrets);
      const catchAll = await startCatchAllServer(options.host);
      started.push(catchAll);
      const zones = [...assembly.hostedZones.map((z) => ({ id: z.id, name: z.name })), ...(options.hostedZones ?? [])];
      const route53 = await Route53StandIn.start({ zones, ...host, ...(options.route53Rate !== undefined && { ratePerSecond: options.route53Rate }) });
      started.push(route53);
      const dns = await startDnsServer({ route53, ...host, ...options.dns });
      started.push(dns);

      const functions = assembly.functions.map((spec) => ({ ...spec, codeDir: stage(spec.codeDir, taskRoot) }));
      const callers = new Map(functions.map((spec) => [accessKeyOf(spec), spec.name]));
      const sdk = runtimeSdkPath();
      let endpoints: Record<string, string> = {};
      const lambda = new LambdaService(functions, {
        environment: (spec) => ({ ...spec.environment, ...lambdaEnvironment(spec, sdk), ...endpoints }),
        ...(options.log && { log: options.log }),
        ...(options.idleMs !== undefined && { idleMs: options.idleMs }),
        ...(options.launcher && { launcher: options.launcher }),
      });
      started.push(lambda);
      const lambdaApi = await LambdaApiStandIn.start({ lambda, ...host });
      started.push(lambdaApi);
      const tokens = new TaskTokens();
      const stateMachines = assembly.stateMachines.map((spec) => simulatedStateMachine(spec, lambda, tokens));
      const stepFunctions = await StepFunctionsStandIn.start({ stateMachines, callbacks: awsCallbacks(tokens), ...host });
      started.push(stepFunctions);
      endpoints = {
        AWS_ENDPOINT_URL: catchAll.url,
        AWS_ENDPOINT_URL_DYNAMODB: table.url,
        AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
        AWS_ENDPOINT_URL_SFN: stepFunctions.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
        AWS_ENDPOINT_URL_ROUTE_53: route53.url,
        AWS_ENDPOINT_URL_LAMBDA: lambdaApi.url,
      };
      await lambda.provision();
      const scheduler = new Scheduler(assembly.schedules, lambda);
      started.push(scheduler);
      if (options.schedules ?? true) scheduler.start();
      return new SimulatedDeployment(
        assembly,
        lambda,
        lambdaApi,
        table,
        events,
        stepFunctions,
        secrets,
        route53,
        dns,
        scheduler,
        stateMachines,
        catchAll,
        taskRoot,
        callers,
      );
    } catch (error) {
      for (const part of started.reverse()) await part.stop();
      rmSync(taskRoot, { recursive: true, force: true });
      throw error;
    }
  }

  /** The function whose logical id starts with `prefix` (`FailoverProbesProbe1`, `FailoverSwitchMasterFunction`). */
  fn(prefix: string): FunctionSpec {
    const found = this.lambda.specs.filter((spec) => spec.logicalId.startsWith(prefix));
    if (found.length !== 1) throw new Error(`${found.length} functions have a logical id starting with ${prefix}`);
    return found[0]!;
  }

  /** Requests a function made to the table (by its role's access key). */
  tableRequests(fn: FunctionSpec, since?: number) {
    return this.table.requests({ caller: accessKeyOf(fn), ...(since !== undefined && { since }) });
  }

  /** Calls that reached no simulated service: each would have gone to a real AWS endpoint. */
  get strayCalls() {
    return this.catchAll.calls;
  }

  /** Stops the schedules and executions, then every environment, then the services. */
  async stop(): Promise<void> {
    this.scheduler.stop();
    for (const machine of this.stateMachines) machine.abortAll();
    await this.lambda.stop();
    await Promise.all([this.lambdaApi.stop(), this.stepFunctions.stop()]);
    await Promise.all([this.events.stop(), this.secrets.stop(), this.catchAll.stop(), this.route53.stop(), this.dns.stop()]);
    await this.table.stop();
    rmSync(this.taskRoot, { recursive: true, force: true });
  }
}

/** The tokens' refusals as Step Functions' API errors (TaskDoesNotExist…), by their name. */
function awsCallbacks(tokens: TaskTokens): TaskCallbacks {
  const asAws = (call: () => void): void => {
    try {
      call();
    } catch (error) {
      throw new AwsServiceError((error as Error).name, (error as Error).message);
    }
  };
  return {
    succeed: (token, output) => asAws(() => tokens.succeed(token, output)),
    fail: (token, error, cause) => asAws(() => tokens.fail(token, error, cause)),
    heartbeat: (token) => asAws(() => tokens.heartbeat(token)),
  };
}

/** One copy per bundle, outside any package.json (a `"type": "module"` above it would make the CommonJS bundle ESM). */
function stage(codeDir: string, taskRoot: string): string {
  const target = path.join(taskRoot, path.basename(codeDir));
  cpSync(codeDir, target, { recursive: true, force: false, errorOnExist: false });
  return target;
}

/** Each function runs as its own role: its own (dummy) credentials, which the services record as the caller. */
function accessKeyOf(spec: FunctionSpec): string {
  return `ASIA${createHash('sha256').update(spec.name).digest('hex').slice(0, 16).toUpperCase()}`;
}

/** What Lambda sets in every environment, besides the function's own variables. */
function lambdaEnvironment(spec: FunctionSpec, sdk: string): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `sim/[$LATEST]${createHash('sha256').update(spec.name).digest('hex').slice(0, 32)}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    AWS_ACCESS_KEY_ID: accessKeyOf(spec),
    AWS_SECRET_ACCESS_KEY: 'simulated',
    AWS_SESSION_TOKEN: 'simulated',
    LAMBDA_TASK_ROOT: spec.codeDir,
    LAMBDA_RUNTIME_DIR: path.dirname(runtimeNode(spec.runtime).path),
    _HANDLER: spec.handler,
    NODE_PATH: sdk,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  };
}
