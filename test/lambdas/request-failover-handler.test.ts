/**
 * The failover request Lambda (SENTINEL FAILOVER on AWS) for real: real redis-server processes,
 * the table in dynalite; Step Functions and EventBridge mocked at the API boundary.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTable, DynamoDbStore } from '../../lambdas/adapters/dynamodb-store.ts';
import type { FailoverInput } from '../../lambdas/core/types.ts';
import { MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import { handler } from '../../lambdas/request-failover.ts';
import { parseOperatorRequest as parseRequest } from '../../lambdas/runtime/operator.ts';
import { run as selectSlave } from '../../lambdas/select-slave.ts';
import { localStepDeps } from '../../local/step-deps.ts';
import { startDynalite, type LocalDynamo } from '../../local/dynalite.ts';
import { RedisServers, type RedisServer } from '../../local/redis-servers.ts';
import { mockAwsBoundary, STATE_MACHINE_ARN } from '../support/aws-boundary.ts';
import { testPorts } from '../support/ports.ts';
import { infoOf, startTopology, waitFollowing } from '../support/topology.ts';
import { captureMetricLines } from '../support/metric-lines.ts';

// The request's metrics go to stdout, as on Lambda: kept out of the run's output.
captureMetricLines();

const TABLE = 'redis-failover-request-test';
const ENV_KEYS = [
  'TABLE_NAME',
  'STATE_MACHINE_ARN',
  'EVENT_BUS_NAME',
  'REDIS_FAILOVER_CONFIG',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'REDIS_TLS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
] as const;

const { eventBridge, sfn } = mockAwsBoundary();
const ARN = STATE_MACHINE_ARN;
const ports = testPorts();
const saved = new Map(ENV_KEYS.map((key) => [key, process.env[key]]));
let dynamo: LocalDynamo;
let servers: RedisServers;

async function refusal(attempt: Promise<unknown>): Promise<Error> {
  const error = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the request to be refused');
  return error;
}

beforeAll(async () => {
  dynamo = await startDynalite();
  await createTable(dynamo.client, TABLE);
});

afterAll(async () => {
  for (const [key, value] of saved) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await dynamo.stop();
});

beforeEach(() => {
  servers = new RedisServers();
});

afterEach(async () => {
  await servers.stopAll();
});

/** The function's environment as the stack sets it, for one master at `master`. */
function deployedWith(name: string, master: RedisServer): void {
  Object.assign(process.env, {
    TABLE_NAME: TABLE,
    STATE_MACHINE_ARN: ARN,
    EVENT_BUS_NAME: 'redis-failover',
    // The SDK's own endpoint variable, and the role's credentials and region Lambda sets (dummies: the table is dynalite).
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'local-1',
    REDIS_FAILOVER_CONFIG: JSON.stringify({ probes: 3, masters: [{ name, host: '127.0.0.1', port: master.options.port, quorum: 2 }] }),
  });
}

describe('failover request handler', () => {
  it('refuses an event that does not name a master, before reading its environment', async () => {
    expect(() => parseRequest({})).toThrow(
      'UNKNOWN the request must be {"master": "<name>"} naming a master of the config, optionally with "coordinated": true',
    );
    expect(() => parseRequest(null)).toThrow(/^UNKNOWN /);
    expect(() => parseRequest({ master: 42 })).toThrow(/^UNKNOWN /);
    expect(() => parseRequest({ master: 'mymaster', coordinated: 'yes' })).toThrow(/^UNKNOWN /);
    expect(parseRequest({ master: 'mymaster' })).toEqual({ action: 'failover', master: 'mymaster', coordinated: false });
    expect(parseRequest({ master: 'mymaster', coordinated: true })).toEqual({ action: 'failover', master: 'mymaster', coordinated: true });
  });

  it('starts the execution <master>-<epoch> at the next epoch, then answers INPROG while it runs', async () => {
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [candidate] = topology.replicas as [RedisServer, RedisServer];
    deployedWith('mymaster', topology.master);

    const started = await handler({ master: 'mymaster' });

    expect(started).toEqual({
      master: 'mymaster',
      epoch: 1,
      execution: 'mymaster-1',
      from: topology.master.address,
      candidate: candidate.address,
      handedOver: false,
    });
    const start = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(start.map((s) => [s.stateMachineArn, s.name])).toEqual([[ARN, 'mymaster-1']]);
    const input = JSON.parse(start[0]!.input!) as FailoverInput;
    expect(input).toMatchObject({ epoch: 1, manual: true, masterDownSince: null, master: { name: 'mymaster', port: topology.master.options.port } });
    expect(input.replicas.map((r) => r.port).sort()).toEqual(topology.replicas.map((r) => r.options.port).sort());
    const types = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.DetailType));
    // The table did not know the replicas yet: stored (and announced) first, as SelectSlave accepts only known ones.
    expect(types).toEqual(['+slave', '+slave', '+new-epoch', '+try-failover', '+elected-leader']);

    const store = new DynamoDbStore({ client: dynamo.client, tableName: TABLE });
    expect((await store.listReplicas('mymaster')).map((r) => r.port).sort()).toEqual(topology.replicas.map((r) => r.options.port).sort());
    // The execution's first Redis step accepts that input against the table, and picks the candidate.
    const selection = await selectSlave(input, localStepDeps([], new MemoryPublisher(), { store, linkOptions: async () => ({}) }));
    expect(selection).toMatchObject({ found: true, promoted: candidate.address });
    expect((await store.getMaster('mymaster'))?.failover).toMatchObject({ epoch: 1, execution: 'mymaster-1', leader: 'manual' });

    // DescribeExecution says RUNNING: a second request is refused, and nothing more is started.
    const second = await refusal(handler({ master: 'mymaster' }));
    expect(second.name).toBe('FailoverRefused');
    expect(second.message).toMatch(/^INPROG Failover already in progress: mymaster-1 \(led by manual, started \d+\.\d s ago\)$/);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);

    // An unknown master is named as such.
    expect((await refusal(handler({ master: 'nope' }))).message).toBe('UNKNOWN No such master with that name: "nope" (known: mymaster)');
  });

  it('with "coordinated": true, has the live master hand over first; the execution resumes from the new master', async () => {
    const topology = await startTopology(servers, ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const [candidate] = topology.replicas as [RedisServer, RedisServer];
    deployedWith('handover', topology.master);
    // The handler keeps its clients and config per container: a new container for the new config.
    vi.resetModules();
    const fresh = await import('../../lambdas/request-failover.ts');

    const started = await fresh.handler({ master: 'handover', coordinated: true });

    expect(started).toEqual({
      master: 'handover',
      epoch: 1,
      execution: 'handover-1',
      from: topology.master.address,
      candidate: candidate.address,
      handedOver: true,
    });
    // Swapped before the invocation returned: the old master already follows the new one.
    expect((await infoOf(candidate)).role).toBe('master');
    await waitFollowing(topology.master, candidate);
    const start = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(start.map((s) => s.name)).toEqual(['handover-1']);
    const input = JSON.parse(start[0]!.input!) as FailoverInput;
    expect(input.resumePromoted).toEqual({ ...candidate.address, runId: (await infoOf(candidate)).runId });
    const store = new DynamoDbStore({ client: dynamo.client, tableName: TABLE });
    expect((await store.getMaster('handover'))?.promoted).toMatchObject({ epoch: 1, host: '127.0.0.1', port: candidate.options.port });
  });
});
