/**
 * The partition harness on real namespaces: a cut makes connections hang (not refused) between the
 * two sides only, heal undoes it, and dispose leaves the root namespace exactly as it was.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../../bench/network.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { testPorts } from '../support/ports.ts';

const run = promisify(execFile);
const ports = testPorts();
const availability = await Network.available();
if (!availability.ok) console.warn(`network partition tests skipped: ${availability.reason}`);

/** The root namespace's links and addresses, to prove the harness never touched them. */
async function rootSnapshot(): Promise<string> {
  const [links, addresses] = await Promise.all([run('ip', ['-o', 'link']), run('ip', ['-o', 'addr'])]);
  return `${links.stdout}\n${addresses.stdout}`;
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!availability.ok)(`network partitions${availability.ok ? '' : ` (skipped: ${availability.reason})`}`, () => {
  const dirs: string[] = [];
  const networks: Network[] = [];
  afterAll(async () => {
    await Promise.all(networks.map((network) => network.dispose()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function create(nodes: string[]): Promise<Network> {
    const network = await Network.create(nodes);
    networks.push(network);
    return network;
  }

  /** redis-server in `node`, bound to that node's address only, answering PING from `from`. */
  async function startRedis(network: Network, node: string, from: string): Promise<{ child: ChildProcess; port: number }> {
    const port = await ports.take();
    const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-netns-'));
    dirs.push(dir);
    const args = ['--port', String(port), '--bind', network.address(node), '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--daemonize', 'no'];
    const child = network.spawn(node, 'redis-server', args, { cwd: dir, stdio: 'ignore' });
    await waitFor(async () => (await ping(network, from, node, port, 1000)) === 'PONG', {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: `redis-server in ${node} to answer ${from}`,
    });
    return { child, port };
  }

  /**
   * PING from one node to another: 'PONG', 'timeout' when still unanswered after `timeoutMs`, or
   * redis-cli's output. (redis-cli 7.0 has no connect timeout of its own, so it is killed.)
   */
  async function ping(network: Network, from: string, to: string, port: number, timeoutMs = 5000): Promise<string> {
    const result = await network.exec(from, 'redis-cli', ['-h', network.address(to), '-p', String(port), 'PING'], { timeoutMs });
    return result.timedOut ? 'timeout' : `${result.stdout}${result.stderr}`.trim();
  }

  it('cuts, heals and disposes without touching the root namespace', async () => {
    const before = await rootSnapshot();
    const network = await create(['a', 'b', 'c']);
    expect(network.subnet).toMatch(/^10\.213\.\d+\.0\/24$/);
    expect(new Set(['a', 'b', 'c'].map((node) => network.address(node))).size).toBe(3);
    const { child, port } = await startRedis(network, 'a', 'b');

    // `ip netns exec` execs in place: the ChildProcess pid is redis-server itself.
    const pid = child.pid ?? -1;
    const { stdout: comm } = await run('cat', [`/proc/${pid}/comm`]);
    expect(comm.trim()).toBe('redis-server');

    const cutMs = await network.cut(['a'], ['b']);
    expect(cutMs).toBeGreaterThan(0);
    // Dropped, so connections hang: even a port nobody listens on no longer answers "Connection refused".
    const [cutToA, cutToClosed, fromC, fromCClosed, cToB] = await Promise.all([
      ping(network, 'b', 'a', port, 1000),
      ping(network, 'b', 'a', port + 1, 1000),
      ping(network, 'c', 'a', port),
      ping(network, 'c', 'a', port + 1),
      ping(network, 'c', 'b', port),
    ]);
    expect(cutToA).toBe('timeout');
    expect(cutToClosed).toBe('timeout');
    expect(fromC).toBe('PONG');
    expect(fromCClosed).toContain('Connection refused');
    expect(cToB).toContain('Connection refused');

    // Cuts add up: b is now cut off from c as well, and a still reaches c.
    await network.cut(['b'], ['c']);
    const [stillCut, nowCut, untouched] = await Promise.all([
      ping(network, 'b', 'a', port, 1000),
      ping(network, 'c', 'b', port, 1000),
      ping(network, 'c', 'a', port),
    ]);
    expect([stillCut, nowCut, untouched]).toEqual(['timeout', 'timeout', 'PONG']);

    await network.heal();
    await waitFor(async () => (await ping(network, 'b', 'a', port, 1000)) === 'PONG', { timeoutMs: 5000, intervalMs: 50, what: 'b to reach a after heal' });

    await network.dispose();
    await network.dispose();
    expect((await namespaces()).filter((name) => name.startsWith(`rf${network.id}-`))).toEqual([]);
    expect(alive(pid)).toBe(false);
    expect(await rootSnapshot()).toBe(before);
    expect(() => network.spawn('a', 'true')).toThrow(/disposed/);
  });

  it('gives two harnesses alive at once different subnets, each working on its own', async () => {
    const [first, second] = await Promise.all([create(['a', 'b']), create(['a', 'b'])]);
    if (!first || !second) throw new Error('two networks expected');
    expect(first.subnet).not.toBe(second.subnet);
    expect(first.namespace('a')).not.toBe(second.namespace('a'));
    const [one, two] = await Promise.all([startRedis(first, 'a', 'b'), startRedis(second, 'a', 'b')]);

    // Separate bridges: the other harness's node is not even routable from here.
    const across = await first.exec('b', 'redis-cli', ['-h', second.address('a'), '-p', String(two.port), 'PING'], { timeoutMs: 5000 });
    expect(across.stdout + across.stderr).toContain('Network is unreachable');

    await first.cut(['a'], ['b']);
    expect(await ping(first, 'b', 'a', one.port, 1000)).toBe('timeout');
    expect(await ping(second, 'b', 'a', two.port)).toBe('PONG');
    await Promise.all([first.dispose(), second.dispose()]);
  });

  it('removes the namespaces left by a harness whose process died', async () => {
    // A pid that is surely dead: a child that exited and was reaped.
    const { pid } = await new Promise<ChildProcess>((resolve) => {
      const child = spawn('true');
      child.once('exit', () => resolve(child));
    });
    const id = `fe${String(process.pid % 100).padStart(2, '0')}`;
    const crashed = [`rf${id}-hub-${pid}`, `rf${id}-a`, `rf${id}-b`];
    const live = await create(['a']);
    for (const name of crashed) await run('ip', ['netns', 'add', name]);

    // Another test file's Network.create may have removed them first: check what is left, not what was returned.
    await Network.removeLeftovers();
    const left = await namespaces();
    expect(left.filter((name) => crashed.includes(name))).toEqual([]);
    expect(left.filter((name) => name.startsWith(`rf${live.id}-`)).length).toBe(2);
  });
});
