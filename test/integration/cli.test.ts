/** The `redis-failover` command as a user runs it: a real process, real exit statuses and output. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { runCli } from '../../cli/main.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { RedisServers } from '../../local/redis-servers.ts';
import { testPorts } from '../support/ports.ts';
import { BIN, runCommand, type CliRun } from '../support/cli-run.ts';
import { infoOf, startTopology } from '../support/topology.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'redis-failover-cli-'));
const ports = testPorts();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Servers for one test, stopped when it ends: the tests that start some run at once, each with its own. */
function serversFor(context: TestContext): RedisServers {
  const servers = new RedisServers();
  context.onTestFinished(() => servers.stopAll());
  return servers;
}

type Run = CliRun;
const cli = (...args: string[]): Promise<Run> => runCommand(args);

/** In-process runs one at a time: each borrows process.stdout, process.stderr and process.exitCode. */
let inProcessTurn: Promise<unknown> = Promise.resolve();

/**
 * The command line's entry point (what bin/redis-failover.mjs runs) in this process, its output and
 * exit status captured: for refusals that start nothing, without a Node.js start per case.
 */
function inProcess(...args: string[]): Promise<Run> {
  const run = inProcessTurn.then(() => captured(args));
  inProcessTurn = run.catch(() => undefined);
  return run;
}

async function captured(args: readonly string[]): Promise<Run> {
  const output = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const exitCode = process.exitCode;
  const into = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      output[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = into('stdout');
  process.stderr.write = into('stderr');
  try {
    process.exitCode = undefined;
    await runCli(args);
    return { code: Number(process.exitCode ?? 0), ...output };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = exitCode;
  }
}

function configFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

const master = { name: 'mymaster', host: '127.0.0.1', port: 6379, quorum: 2 };

// Two lanes side by side: this describe and the next run at once (`.concurrent`), the tests of each
// one after another (`.sequential`), so at most a few processes start at a time. Each test has
// its own files, ports and servers.
describe.concurrent('command line', () => {
  it.sequential('explains every command and option with --help', async () => {
    const run = await cli('--help');
    expect(run.code).toBe(0);
    for (const word of ['demo', 'failover <name>', '--config', '--events-file', '--no-timestamps', 'Exit status']) expect(run.stdout).toContain(word);
  });

  it.sequential('refuses an unknown command or option with one line and status 2', async () => {
    const unknownCommand = await cli('frobnicate');
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr.trim()).toBe('redis-failover: unknown command "frobnicate" (try redis-failover --help)');
    const unknownOption = await cli('failover', 'mymaster', '--bogus');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("'--bogus'");
    expect(unknownOption.stderr.trim().split('\n')).toHaveLength(1);
  });

  // Refusals start nothing, so they run at once. The first of each table is a process of its own,
  // which must add nothing to the entry point's one line (no warning, no stack); the rest vary only
  // the text, and run the entry point in this process (a Node.js start and the command's modules
  // loaded per case cost seconds of CPU each).
  it.concurrent.each([
    ['unknown key', { probes: 3, masters: [{ ...master, colour: 'red' }] }, 'masters[0]', cli],
    ['quorum above probes', { probes: 3, masters: [{ ...master, quorum: 4 }] }, 'masters[0].quorum', inProcess],
    ['non-positive time', { probes: 3, masters: [{ ...master, downAfterMs: 0 }] }, 'masters[0].downAfterMs', inProcess],
    ['bad name', { probes: 3, masters: [{ ...master, name: 'my master' }] }, 'masters[0].name', inProcess],
    ['wrong type', { probes: '3', masters: [master] }, 'probes', inProcess],
    ['invalid JSON', '{ "probes": 3, ', 'invalid JSON', inProcess],
  ])('refuses a config with %s, naming it, with status 2 and no stack', async (label, content, named, via) => {
    const file = configFile(`${label.replace(/ /g, '-')}.json`, content);
    const run = await via('failover', 'mymaster', '--config', file);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(named);
    expect(lines[0]).toContain(file);
    expect(run.stdout).toBe('');
  });

  it.concurrent.each([
    [['--fault', 'partition', '--scenario', 'minority-voter'], '--scenario minority-voter needs --runtime aws', cli],
    [['--fault', 'kill', '--flap', '400'], '--flap applies to --fault partition only', inProcess],
    [['--fault', 'partition', '--scenario', 'sideways'], '--scenario must be master-side, voters-only, minority-voter (got "sideways")', inProcess],
    [['--fault', 'meteor'], '--fault must be kill, stop, partition or all (got "meteor")', inProcess],
  ])('bench %j is refused with one line and status 2, before anything starts', async (args, message, via) => {
    const run = await via('bench', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(run.stdout).toBe('');
  });

  it.sequential('refuses an unreadable config file and an unknown master name', async () => {
    const missing = await cli('failover', 'mymaster', '--config', path.join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read config file');
    const file = configFile('ok.json', { probes: 3, masters: [master] });
    const unknown = await cli('failover', 'other', '--config', file);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(`redis-failover: no master named "other" in ${file} (it has: mymaster)`);
  });

  it.sequential('fails over, prints one line per event, writes JSON lines, exits 0', async (context) => {
    const topology = await startTopology(serversFor(context), ports, { replicas: [{ replicaPriority: 10 }, { replicaPriority: 20 }] });
    const file = configFile('live.json', { probes: 1, masters: [{ ...master, port: topology.master.options.port, quorum: 1, failoverTimeoutMs: 10_000 }] });
    const eventsFile = path.join(dir, 'events', 'live.jsonl');

    const run = await cli('failover', 'mymaster', '--config', file, '--events-file', eventsFile, '--no-timestamps');

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    // SENTINEL FAILOVER's order: the replicas found (+slave), the epoch and the leadership, then the workflow.
    const m = `mymaster 127.0.0.1 ${topology.master.options.port}`;
    expect(lines.filter((line) => !line.startsWith('+slave ')).slice(0, 4)).toEqual([
      '+new-epoch 1',
      `+try-failover master ${m}`,
      `+elected-leader master ${m}`,
      `+failover-triggered master ${m}`,
    ]);
    expect(lines.at(-1)).toBe(`+switch-master mymaster 127.0.0.1 ${topology.master.options.port} 127.0.0.1 ${topology.replicas[0]!.options.port}`);
    const json = readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(json.map((e) => e.type)).toEqual(lines.map((line) => line.split(' ')[0]));
    expect(run.stderr).toContain('done: new master');
    expect((await infoOf(topology.replicas[0]!)).role).toBe('master');
  });

  it.sequential('refuses with NOGOODSLAVE and status 2 when no replica qualifies, touching nothing', async (context) => {
    const topology = await startTopology(serversFor(context), ports, { replicas: [{ replicaPriority: 0 }] });
    const file = configFile('nogood.json', { probes: 1, masters: [{ ...master, port: topology.master.options.port, quorum: 1 }] });

    const run = await cli('failover', 'mymaster', '--config', file);

    expect(run.code).toBe(2);
    expect(run.stdout).not.toContain('+new-epoch');
    expect(run.stderr.trim().split('\n').at(-1)).toBe(
      `redis-failover: NOGOODSLAVE No suitable replica to promote: 127.0.0.1:${topology.replicas[0]!.options.port} replica-priority 0`,
    );
    expect((await infoOf(topology.master)).role).toBe('master');
  });
});

describe.concurrent('local and demo', () => {
  it.sequential('refuses a bad config for local, naming the field, before starting anything', async () => {
    const file = configFile('local-bad.json', { probes: 2, masters: [{ ...master, quorum: 3 }] });
    const run = await cli('local', '--config', file);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(`redis-failover: ${file}: masters[0].quorum: quorum 3 is larger than probes (2)`);
    expect(run.stdout).toBe('');
  });

  it.sequential('local runs until SIGTERM: +monitor, +slave, answers failover from another process through its port, stops cleanly with status 0', async (context) => {
    const topology = await startTopology(serversFor(context), ports, { replicas: [{}] });
    const file = configFile('local.json', { probes: 2, masters: [{ ...master, port: topology.master.options.port, quorum: 2 }] });
    const sentinelPort = String(await ports.take());
    const child = spawn(process.execPath, [BIN, 'local', '--config', file, '--no-timestamps', '--port', sentinelPort], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let failover: Run;
    let taken: Run;
    try {
      await waitFor(() => stdout.includes('+slave ') && stderr.includes(`answering on 127.0.0.1:${sentinelPort}`), {
        timeoutMs: 40_000,
        what: '+slave and the port',
      });
      // From another terminal: the request goes through the orchestrator, not behind its back.
      failover = await cli('failover', 'mymaster', '--config', file, '--port', sentinelPort);
      taken = await cli('local', '--config', file, '--port', sentinelPort);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const port = topology.master.options.port;
    const replicaPort = topology.replicas[0]!.options.port;
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      `+monitor master mymaster 127.0.0.1 ${port} quorum 2`,
      `+slave slave 127.0.0.1:${replicaPort} 127.0.0.1 ${replicaPort} @ mymaster 127.0.0.1 ${port}`,
    ]);
    expect(failover.code).toBe(0);
    expect(failover.stderr).toContain(`mymaster: an orchestrator answers on 127.0.0.1:${sentinelPort}: asking it (SENTINEL FAILOVER mymaster)`);
    expect(failover.stderr).toMatch(new RegExp(`mymaster: switched to 127\\.0\\.0\\.1:${replicaPort} \\(\\d+ ms after the request\\)`));
    expect(stdout).toContain(`+elected-leader master mymaster 127.0.0.1 ${port}`);
    expect(stdout).toContain(`+switch-master mymaster 127.0.0.1 ${port} 127.0.0.1 ${replicaPort}`);
    expect(taken.code).toBe(2);
    expect(taken.stderr.trim().split('\n').at(-1)).toBe(
      `redis-failover: port ${sentinelPort} is in use (a Sentinel, or another redis-failover local?): choose another with --port`,
    );
    // Three processes start one after the other, beside the other lane's: room for a busy machine.
  }, 120_000);

  it.sequential('demo exits 0 and its timeline shows every phase', async () => {
    const run = await cli('demo');
    expect(run.code).toBe(0);
    const timeline = run.stdout.slice(run.stdout.indexOf('Timeline'));
    for (const phase of [
      '+sdown',
      '+odown',
      '+new-epoch',
      '+try-failover',
      '+elected-leader',
      '+failover-triggered',
      '+failover-state-select-slave',
      '+selected-slave',
      '+failover-state-send-slaveof-noone',
      '+failover-state-wait-promotion',
      '+promoted-slave',
      '+failover-state-reconf-slaves',
      '+slave-reconf-sent',
      '+slave-reconf-inprog',
      '+slave-reconf-done',
      '+failover-end',
      '+switch-master',
    ]) {
      expect(timeline, phase).toContain(` ${phase} `);
    }
    expect(run.stdout).toContain('data: 1000/1000 keys present on the new master');
    expect(run.stderr).toContain('stopped every process the demo started');
  });
});
