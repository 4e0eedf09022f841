/**
 * The probe Lambda handler for real: real redis-server processes, a real table (dynalite);
 * EventBridge and Step Functions, the only other AWS APIs it calls, are mocked.
 */
import net from 'node:net';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTable, DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';
import type { FailoverInput } from '../../lambdas/core/types.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';
import { handler, probeDepsFromEnv, stopBeforeTimeoutMs } from '../../lambdas/probe.ts';
import { startDynalite, type LocalDynamo } from '../../local/dynalite.ts';
import { RedisServers, redisServerAvailable } from '../../local/redis-servers.ts';
import { mockAwsBoundary, STATE_MACHINE_ARN } from '../support/aws-boundary.ts';
import { testPorts } from '../support/ports.ts';
import { startTopology, type Topology } from '../support/topology.ts';
import { captureMetricLines } from '../support/metric-lines.ts';

// The voters' metrics go to stdout, as on Lambda: kept out of the run's output.
captureMetricLines();

const TABLE = 'redis-failover-probe-test';
const ARN = STATE_MACHINE_ARN;
const BUS = 'redis-failover-bus';
const ENV_KEYS = [
  'VOTER_ID',
  'TABLE_NAME',
  'STATE_MACHINE_ARN',
  'EVENT_BUS_NAME',
  'REDIS_FAILOVER_CONFIG',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'REDIS_TLS',
  'PROBE_INTERVAL_MS',
] as const;
/** What Lambda gives every function: the role's credentials and the region (dummies here; the table is dynalite). */
const LAMBDA_ENV = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'local-1' } as const;

const { eventBridge, sfn } = mockAwsBoundary();
const ports = testPorts();
const saved = new Map([...ENV_KEYS, ...Object.keys(LAMBDA_ENV)].map((key) => [key, process.env[key]]));
Object.assign(process.env, LAMBDA_ENV);

/** An invocation whose Lambda timeout leaves it `probeMs` of watching. */
function contextFor(probeMs: number) {
  // Under half a minute an invocation keeps a tenth of its time for the handover.
  const remaining = probeMs / 0.9;
  expect(remaining - stopBeforeTimeoutMs(remaining)).toBeCloseTo(probeMs, 0);
  return lambdaContext(remaining);
}

let requests = 0;

/** A Lambda context whose deadline is `remainingMs` from now. */
function lambdaContext(remainingMs: number) {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: `req-${++requests}` };
}

function configDocument(master: Record<string, unknown>): string {
  return JSON.stringify({ probes: 1, masters: [{ name: 'mymaster', host: '127.0.0.1', quorum: 1, ...master }] });
}

function setEnv(values: Partial<Record<(typeof ENV_KEYS)[number], string>>): void {
  for (const key of ENV_KEYS) {
    const value = values[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

function sentEventTypes(): string[] {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => (call.args[0].input.Entries ?? []).map((e) => e.DetailType ?? ''));
}

function sentEvents() {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? []);
}

afterAll(() => {
  for (const [key, value] of saved) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

describe('probe handler: environment', () => {
  const valid = {
    VOTER_ID: 'probe-a',
    TABLE_NAME: TABLE,
    STATE_MACHINE_ARN: ARN,
    EVENT_BUS_NAME: BUS,
    REDIS_FAILOVER_CONFIG: configDocument({ port: 6379 }),
  };

  it.each(['VOTER_ID', 'TABLE_NAME', 'STATE_MACHINE_ARN', 'EVENT_BUS_NAME', 'REDIS_FAILOVER_CONFIG'] as const)('refuses to start without %s', async (name) => {
    setEnv({ ...valid, [name]: undefined });
    await expect(handler({}, lambdaContext(60_000))).rejects.toThrow(new ConfigError(`${name} is not set`));
    expect(() => probeDepsFromEnv({ ...valid, [name]: '' })).toThrow(new ConfigError(`${name} is not set`));
  });

  it('refuses a config that is not JSON, without quoting it (it may hold a password)', async () => {
    setEnv({ ...valid, REDIS_FAILOVER_CONFIG: '{"masters": [{"auth": {"password": hunter2}}]}' });
    const error = await handler({}, lambdaContext(60_000)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^REDIS_FAILOVER_CONFIG: invalid JSON/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('\n');
  });

  it('refuses an invalid config with the field named after the variable', async () => {
    setEnv({ ...valid, REDIS_FAILOVER_CONFIG: configDocument({ port: 6379, quorum: 0, auth: { password: 'hunter2' } }) });
    await expect(handler({}, lambdaContext(60_000))).rejects.toThrow(/^REDIS_FAILOVER_CONFIG: masters\[0\]\.quorum: /);
    expect(() => probeDepsFromEnv({ ...valid, REDIS_FAILOVER_CONFIG: JSON.stringify({ masters: [] }) })).toThrow(
      'REDIS_FAILOVER_CONFIG: masters: must list at least one master',
    );
  });

  it('refuses a REDIS_TLS that is neither "true" nor "false"', () => {
    expect(() => probeDepsFromEnv({ ...valid, REDIS_TLS: 'yes' })).toThrow('REDIS_TLS must be "true" or "false" (got "yes")');
  });

  it('gives each master group its credentials and TLS', async () => {
    const probe = probeDepsFromEnv({
      ...valid,
      REDIS_TLS: 'true',
      REDIS_FAILOVER_CONFIG: configDocument({ port: 6379, auth: { username: 'probe', password: 's3cret' } }),
    });
    try {
      expect(probe.deps.voterId).toBe('probe-a');
      expect(probe.config.masters.map((m) => m.name)).toEqual(['mymaster']);
      expect(await probe.deps.linkOptions('mymaster')).toMatchObject({ credentials: { username: 'probe', password: 's3cret' }, tls: true });
      await expect(probe.deps.linkOptions('other')).rejects.toThrow('unknown master "other"');
    } finally {
      probe.destroy();
    }
    const plain = probeDepsFromEnv(valid);
    expect(await plain.deps.linkOptions('mymaster')).toEqual({});
    plain.destroy();
  });
});

describe('probe handler: a table that does not answer', () => {
  let silent: net.Server | undefined;
  const sockets = new Set<net.Socket>();

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  });

  it('fails the invocation, naming the table, well before the Lambda timeout', async () => {
    // Accepts connections, never replies: a hung endpoint.
    silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as net.AddressInfo;
    setEnv({
      VOTER_ID: 'probe-a',
      TABLE_NAME: TABLE,
      STATE_MACHINE_ARN: ARN,
      EVENT_BUS_NAME: BUS,
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
      REDIS_FAILOVER_CONFIG: configDocument({ port: await ports.take(), downAfterMs: 1000 }),
    });
    // The SDK gives up after two attempts of 1 s each: the invocation fails (Lambda's Errors metric counts it).
    const timeoutMs = 6000;
    const started = Date.now();
    await expect(handler({}, lambdaContext(timeoutMs))).rejects.toThrow(/^probe-a: cannot take the voter over, the table did not answer: /);
    expect(Date.now() - started).toBeLessThan(timeoutMs - 2000);
    expect(sentEventTypes()).toEqual([]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe.skipIf(!redisServerAvailable())('probe handler against redis-server and dynalite', () => {
  let servers: RedisServers;
  let dynamo: LocalDynamo;
  let topology: Topology;
  /** Every DynamoDB request the store makes (the table's only client), by command name. */
  let dynamoSend: ReturnType<typeof vi.spyOn>;
  const dynamoRequests = (): string[] => dynamoSend.mock.calls.map((call: readonly unknown[]) => (call[0] as object).constructor.name);

  beforeEach(async () => {
    servers = new RedisServers();
    dynamo = await startDynalite();
    await createTable(dynamo.client, TABLE);
    topology = await startTopology(servers, ports, { replicas: [{}] });
    dynamoSend = vi.spyOn(DynamoDBDocumentClient.prototype, 'send');
  });

  afterEach(async () => {
    dynamoSend.mockRestore();
    await servers.stopAll();
    await dynamo.stop();
  });

  function env(master: Record<string, unknown>): void {
    setEnv({
      VOTER_ID: 'probe-a',
      TABLE_NAME: TABLE,
      STATE_MACHINE_ARN: ARN,
      EVENT_BUS_NAME: BUS,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      REDIS_FAILOVER_CONFIG: configDocument({ port: topology.master.options.port, ...master }),
    });
  }

  it('a healthy master: probes until just before the timeout, stores the master and the replica it discovers, few table requests', async () => {
    env({ downAfterMs: 1000 });
    const probeMs = 1500;
    const started = Date.now();
    const summary = await handler({}, contextFor(probeMs));
    const elapsed = Date.now() - started;
    const requests = dynamoRequests();

    expect(summary).toMatchObject({ voter: 'probe-a', crashed: null });
    expect(summary.ticks).toBeGreaterThan(5);
    expect(elapsed).toBeGreaterThanOrEqual(probeMs - 50);
    expect(elapsed).toBeLessThan(probeMs + 1000);

    const store = new DynamoDbStore({ client: dynamo.client, tableName: TABLE });
    expect(await store.getMaster('mymaster')).toMatchObject({ host: '127.0.0.1', port: topology.master.options.port, epoch: 0, failover: null });
    const replica = topology.replicas[0]!;
    expect((await store.listReplicas('mymaster')).map(({ host, port }) => ({ host, port }))).toEqual([replica.address]);

    const slaves = sentEvents().filter((e) => e.DetailType === '+slave');
    expect(slaves).toHaveLength(1);
    expect(JSON.parse(slaves[0]!.Detail!)).toMatchObject({
      master: 'mymaster',
      voter: 'probe-a',
      message: `slave 127.0.0.1:${replica.options.port} 127.0.0.1 ${replica.options.port} @ mymaster 127.0.0.1 ${topology.master.options.port}`,
    });
    expect(slaves[0]!.EventBusName).toBe(BUS);
    expect(sentEventTypes()).not.toContain('+sdown');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);

    // Healthy: the voter taken over (read, claimed), the record and replicas read at start (and every 5 s), the new
    // replica written once, what the watch learnt saved (once, or twice when the record and the replica fall in
    // different checkpoint rounds), and the handover at the end; no votes.
    expect(requests.slice(0, 2)).toEqual(['GetCommand', 'UpdateCommand']);
    expect(requests.at(-1)).toBe('UpdateCommand');
    const watching = requests.slice(2, -1);
    expect(watching.filter((r) => r !== 'UpdateCommand')).toEqual(['GetCommand', 'PutCommand', 'QueryCommand', 'PutCommand']);
    expect(watching.filter((r) => r === 'UpdateCommand').length).toBeGreaterThanOrEqual(1);
    expect(watching.filter((r) => r === 'UpdateCommand').length).toBeLessThanOrEqual(2);

    // The next invocation in the same (warm) container: it takes the voter over from the first (nothing new to
    // save but the handover), reads the record and replicas, and says no second +slave.
    dynamoSend.mockClear();
    eventBridge.resetHistory();
    const next = await handler({}, contextFor(500));
    expect(next.session).toEqual({ kind: 'deadline', generation: 2, resumed: true });
    expect(dynamoRequests()).toEqual(['GetCommand', 'UpdateCommand', 'GetCommand', 'QueryCommand', 'UpdateCommand']);
    expect(sentEventTypes()).toEqual([]);
  });

  it('a dead master: SDOWN, ODOWN at quorum 1, elected, one StartExecution named mymaster-1', async () => {
    const replica = topology.replicas[0]!;
    env({ downAfterMs: 300, failoverTimeoutMs: 10_000, knownReplicas: [replica.address] });
    await topology.master.kill();

    const probeMs = 2500;
    const started = Date.now();
    const summary = await handler({}, contextFor(probeMs));
    const elapsed = Date.now() - started;

    expect(summary).toMatchObject({ voter: 'probe-a', crashed: null });
    expect(elapsed).toBeGreaterThanOrEqual(probeMs - 50);
    expect(elapsed).toBeLessThan(probeMs + 1000);

    const types = sentEventTypes();
    const order = ['+sdown', '+odown', '+new-epoch', '+try-failover', '+elected-leader'];
    for (const type of order)
      expect(
        types.filter((t) => t === type),
        type,
      ).toHaveLength(1);
    expect(types.filter((t) => order.includes(t))).toEqual(order);
    // The known replica from the config is announced once, as Sentinel announces its known-replica lines.
    expect(types.filter((t) => t === '+slave')).toHaveLength(1);
    const elected = sentEvents().find((e) => e.DetailType === '+elected-leader')!;
    expect(JSON.parse(elected.Detail!)).toMatchObject({ master: 'mymaster', epoch: 1, execution: 'mymaster-1', voter: 'probe-a' });

    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    const start = starts[0]!.args[0].input;
    expect(start.name).toBe('mymaster-1');
    expect(start.stateMachineArn).toBe(ARN);
    const input = JSON.parse(start.input!) as FailoverInput;
    expect(input).toMatchObject({ master: { name: 'mymaster', host: '127.0.0.1', port: topology.master.options.port }, epoch: 1, manual: false });
    expect(input.replicas).toContainEqual(replica.address);
    expect(typeof input.masterDownSince).toBe('number');

    const store = new DynamoDbStore({ client: dynamo.client, tableName: TABLE });
    expect(await store.getMaster('mymaster')).toMatchObject({ epoch: 1, failover: { epoch: 1, leader: 'probe-a', execution: 'mymaster-1' } });
  });
});
