/**
 * The Sentinel port against real redis-sentinel 7.0, command by command, over one topology both
 * watch: the same reply types, field names in the same order, the same errors, in RESP2 and in
 * RESP3. What differs by nature (run ids, times, our voters' counts) is compared by type only.
 * The sentinel runs alone with quorum 2, so it never fails the topology over under our voters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sentinels } from '../../bench/sentinels.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { RedisServers, redisServerAvailable } from '../../local/redis-servers.ts';
import { orchestrate, stopOrchestrators } from '../support/orchestrator.ts';
import { testPorts } from '../support/ports.ts';
import { RespClient, type Node } from '../support/resp-client.ts';
import { startTopology, type Topology } from '../support/topology.ts';

const available = await redisServerAvailable();
const ports = testPorts();
const servers = new RedisServers();
let topology: Topology;
let sentinels: Sentinels;
let ourPort: number;

beforeAll(async () => {
  if (!available) return;
  topology = await startTopology(servers, ports, { replicas: [{}, {}] });
  const sentinelPort = await ports.take();
  sentinels = await Sentinels.start(topology.master.address, 2, [sentinelPort], { quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 10_000, parallelSyncs: 1 });
  ourPort = await ports.take();
  const running = await orchestrate(topology, { downAfterMs: 1000, failoverTimeoutMs: 10_000 }, { sentinelPort: ourPort });
  // Both have read every replica's INFO: their lists are complete.
  await waitFor(async () => (await replicasKnown(ourPort)) === 2 && running.orchestrator.voters.every((v) => v.watches[0]!.ticks > 20), {
    timeoutMs: 20_000,
    what: 'the port to know both replicas',
  });
}, 60_000);

afterAll(async () => {
  await stopOrchestrators();
  await sentinels?.stop();
  await servers.stopAll();
});

async function replicasKnown(port: number): Promise<number> {
  const client = await RespClient.connect(port);
  try {
    const reply = await client.one('SENTINEL', 'REPLICAS', 'mymaster');
    return reply.type === 'array' ? reply.items.filter((entry) => fieldValue(entry, 'flags') === 'slave').length : 0;
  } finally {
    client.close();
  }
}

const text = (node: Node | undefined): string =>
  node && (node.type === 'bulk' || node.type === 'simple' || node.type === 'error') ? node.text : `<${node?.type}>`;

/** A field's value in a RESP3 map or a RESP2 flat list. */
function fieldValue(node: Node, field: string): string | undefined {
  if (node.type === 'map') return text(node.entries.find(([key]) => text(key) === field)?.[1]);
  if (node.type !== 'array') return undefined;
  const i = node.items.findIndex((item, k) => k % 2 === 0 && text(item) === field);
  return i === -1 ? undefined : text(node.items[i + 1]);
}

/** The reply's types all the way down, map keys and errors' codes kept. */
function types(node: Node): unknown {
  switch (node.type) {
    case 'error':
      return `-${node.text.split(' ')[0]}`;
    case 'array':
    case 'push':
    case 'set':
      return { [node.type]: node.items.map(types) };
    case 'map':
      return { map: node.entries.map(([key, value]) => [text(key), types(value)]) };
    default:
      return node.type;
  }
}

/** A field list's names in order (Sentinel's `name ip port runid flags …`), RESP2 flat or RESP3 map. */
function fieldNames(node: Node): string[] {
  if (node.type === 'map') return node.entries.map(([key]) => text(key));
  if (node.type === 'array') return node.items.filter((_, i) => i % 2 === 0).map(text);
  return [`<${node.type}>`];
}

type Compare = 'exact' | 'types' | 'fields' | 'each-fields' | 'info-keys';

function comparable(node: Node, how: Compare): unknown {
  if (how === 'exact') return node;
  if (how === 'types') return types(node);
  if (how === 'fields') return { type: node.type, names: fieldNames(node) };
  if (how === 'each-fields') return node.type === 'array' ? node.items.map(fieldNames) : types(node);
  // INFO: the section headers and field names, leaving out the masterN details.
  return text(node)
    .split('\r\n')
    .filter((line) => line.startsWith('#') || /^(sentinel_|redis_mode)/.test(line))
    .map((line) => (line.startsWith('#') || line.startsWith('redis_mode') ? line : line.split(':')[0]));
}

/** Runs one script on a fresh connection to each, compares reply by reply. */
async function compare(script: ReadonlyArray<readonly [readonly string[], Compare]>): Promise<void> {
  const [ours, theirs] = await Promise.all([RespClient.connect(ourPort), RespClient.connect(sentinels.ports[0]!)]);
  try {
    for (const [args, how] of script) {
      const [a, b] = [await ours.one(...args), await theirs.one(...args)];
      expect({ command: args.join(' '), reply: comparable(a, how) }).toEqual({ command: args.join(' '), reply: comparable(b, how) });
    }
  } finally {
    ours.close();
    theirs.close();
  }
}

describe.skipIf(!available)('the Sentinel port beside redis-sentinel 7.0, command by command', () => {
  const masterAddress = () => [topology.master.address.host, String(topology.master.address.port)];

  it('answers the SENTINEL commands clients rely on with the same types, fields and errors (RESP2)', async () => {
    await compare([
      [['PING'], 'exact'],
      [['PING', 'hello'], 'exact'],
      [['ROLE'], 'exact'],
      [['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'], 'exact'],
      [['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nope'], 'exact'],
      [['SENTINEL', 'MASTER', 'mymaster'], 'fields'],
      [['SENTINEL', 'MASTERS'], 'each-fields'],
      [['SENTINEL', 'REPLICAS', 'mymaster'], 'each-fields'],
      [['SENTINEL', 'SLAVES', 'mymaster'], 'each-fields'],
      [['SENTINEL', 'SENTINELS', 'mymaster'], 'exact'],
      [['SENTINEL', 'MASTER', 'nope'], 'exact'],
      [['SENTINEL', 'REPLICAS', 'nope'], 'exact'],
      [['SENTINEL', 'MYID'], 'types'],
      [['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', ...masterAddress(), '0', '*'], 'exact'],
      // CKQUORUM is left out: one sentinel with quorum 2 cannot reach it, our three voters can.
      [['SENTINEL', 'BOGUS'], 'exact'],
      [['SENTINEL', 'MASTER'], 'exact'],
    ]);
  });

  it('answers the connection commands clients send on connect as Sentinel does (RESP2)', async () => {
    await compare([
      [['CLIENT', 'ID'], 'types'],
      [['CLIENT', 'GETNAME'], 'exact'],
      [['CLIENT', 'SETNAME', 'probe'], 'exact'],
      [['CLIENT', 'GETNAME'], 'exact'],
      [['CLIENT', 'SETNAME', 'two words'], 'exact'],
      [['CLIENT', 'INFO'], 'types'],
      [['CLIENT', 'KILL', 'ID', '999999'], 'exact'],
      [['CLIENT', 'KILL', '127.0.0.1:1'], 'exact'],
      [['CLIENT', 'BOGUS'], 'exact'],
      [['COMMAND', 'COUNT'], 'types'],
      [['INFO', 'sentinel'], 'info-keys'],
      [['INFO', 'server'], 'types'],
      [['AUTH', 'secret'], 'exact'],
      [['AUTH', 'someone', 'secret'], 'exact'],
      [['HELLO', '4'], 'exact'],
      [['HELLO', '2'], 'types'],
      [['GET', 'key'], 'exact'],
      [['SELECT', '1'], 'exact'],
    ]);
  });

  it('speaks RESP3 after HELLO 3: maps for field lists, nulls, and the same answers', async () => {
    await compare([
      [['HELLO', '3'], 'types'],
      [['PING'], 'exact'],
      [['SENTINEL', 'MASTER', 'mymaster'], 'fields'],
      [['SENTINEL', 'REPLICAS', 'mymaster'], 'each-fields'],
      [['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster'], 'exact'],
      [['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'nope'], 'exact'],
      [['CLIENT', 'GETNAME'], 'exact'],
      [['SENTINEL', 'IS-MASTER-DOWN-BY-ADDR', ...masterAddress(), '0', '*'], 'exact'],
      [['SUBSCRIBE', '+switch-master'], 'exact'],
      // RESP3 takes any command while subscribed.
      [['PING'], 'exact'],
      [['ROLE'], 'exact'],
      [['UNSUBSCRIBE', '+switch-master'], 'exact'],
    ]);
  });

  it('in RESP2 subscribe mode takes only (un)subscriptions, PING (answered as a pair) and QUIT', async () => {
    await compare([
      [['SUBSCRIBE', '+switch-master'], 'exact'],
      [['PING'], 'exact'],
      [['PING', 'x'], 'exact'],
      [['SENTINEL', 'MYID'], 'exact'],
      [['INFO'], 'exact'],
      [['PSUBSCRIBE', '*'], 'exact'],
      [['PUNSUBSCRIBE'], 'exact'],
      [['UNSUBSCRIBE'], 'exact'],
      [['PING'], 'exact'],
    ]);
  });
});
