/** `redis-failover local --log-format json`: the deployed functions' JSON lines, from the command line's own process. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { startTopology } from '../support/topology.ts';

const BIN = fileURLToPath(new URL('../../bin/redis-failover.mjs', import.meta.url));
const { ports, servers } = integrationLifecycle();
const dir = mkdtempSync(path.join(tmpdir(), 'log-format-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('local --log-format json', () => {
  it('prints every event and note as one JSON line on stdout, each event with its Sentinel message, through a kill -9 failover', async () => {
    const { master } = await startTopology(servers(), ports, { replicas: [{}, {}] });
    const file = path.join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        probes: 2,
        masters: [{ name: 'mymaster', host: '127.0.0.1', port: master.options.port, quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 3000 }],
      }),
    );
    const child = spawn(process.execPath, [BIN, 'local', '--config', file, '--port', String(await ports.take()), '--log-format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => (stdout.match(/"event":"\+slave"/g) ?? []).length >= 2, { timeoutMs: 20_000, what: 'both replicas discovered' });
      await master.kill();
      await waitFor(() => stdout.includes('"event":"+switch-master"'), { timeoutMs: 20_000, what: '+switch-master' });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; message: string; event?: string; sentinel?: string; epoch?: number });
    expect(lines.every((l) => typeof l.message === 'string' && ['INFO', 'WARN', 'ERROR'].includes(l.level))).toBe(true);
    const switched = lines.find((l) => l.event === '+switch-master')!;
    expect(switched).toMatchObject({ level: 'INFO', message: 'event published', epoch: 1 });
    expect(switched.sentinel).toMatch(new RegExp(`^\\+switch-master mymaster 127\\.0\\.0\\.1 ${master.options.port} 127\\.0\\.0\\.1 \\d+$`));
    expect(lines.some((l) => l.message.startsWith('starting 2 voters'))).toBe(true);
    expect(stderr).toBe('');
  });

  it('refuses another format in one line, with status 2', async () => {
    const child = spawn(process.execPath, [BIN, 'local', '--config', 'x.json', '--log-format', 'yaml'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('redis-failover: --log-format must be text or json (got "yaml")');
  });
});
