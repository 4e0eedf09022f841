/**
 * The maintenance pause, status and history on real servers, with the voters running: a paused
 * master killed is judged ODOWN (+odown, +failover-held) but not failed over until resume (then
 * once), a pause that runs out ends by itself (-pause … expired), and the command line's
 * status, history and pause read and change it through the orchestrator's port.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { RedisServer } from '../../local/redis-servers.ts';
import { waitFor } from '../../lambdas/core/wait.ts';
import { orchestrate, types, waitForEvent } from '../support/orchestrator.ts';
import { integrationLifecycle } from '../support/lifecycle.ts';
import { runCommand } from '../support/cli-run.ts';
import type { Topology } from '../support/topology.ts';

// The workflow loaded once; after each test its orchestrators, then its servers, stopped.
const lifecycle = integrationLifecycle();
const ports = lifecycle.ports;

const topologyOfTwo = (): Promise<Topology> => lifecycle.topology({ replicas: [{}, {}] });

const cli = (...args: string[]) => runCommand(args);

describe('maintenance pause', () => {
  it('a paused master killed: +odown and +failover-held from every voter, no failover; resume: one failover', async () => {
    const topology = await topologyOfTwo();
    const { orchestrator, events } = await orchestrate(topology, {});
    const [paused] = (await orchestrator.operate({ action: 'pause', master: 'mymaster', forMs: 120_000, reason: 'kernel upgrade' })).paused;
    expect(paused).toMatchObject({ master: 'mymaster', pause: { reason: 'kernel upgrade', by: 'manual' } });
    expect(types(events)).toContain('+pause');

    await topology.master.kill();
    await waitFor(() => types(events).filter((t) => t === '+failover-held').length === 3, { timeoutMs: 15_000, what: 'every voter to hold the failover' });
    expect(types(events)).toContain('+odown');
    expect(types(events)).not.toContain('+try-failover');
    const [status] = (await orchestrator.operate({ action: 'status', master: 'mymaster' })).masters;
    expect(status).toMatchObject({ odown: true, failover: null, master: { reachable: false }, pause: { reason: 'kernel upgrade' } });
    expect(status!.voters.filter((v) => v.alive && v.opinion === 'sdown')).toHaveLength(3);

    await orchestrator.operate({ action: 'resume', master: 'mymaster' });
    await waitForEvent(events, '+switch-master');
    expect(events.events.find((e) => e.type === '-pause')?.message).toMatch(/ resumed$/);
    expect(types(events).filter((t) => t === '+elected-leader')).toHaveLength(1);
  });

  it('a pause that runs out ends by itself (-pause … expired, said once) and the voters fail over', async () => {
    const topology = await topologyOfTwo();
    const { orchestrator, events } = await orchestrate(topology, {});
    await orchestrator.operate({ action: 'pause', master: '*', forMs: 2000, reason: 'short window' });
    await topology.master.kill();
    await waitForEvent(events, '+failover-held');
    await waitForEvent(events, '+switch-master');
    const ended = events.events.filter((e) => e.type === '-pause');
    expect(ended).toHaveLength(1);
    expect(ended[0]!.message).toMatch(/ expired$/);
    const order = types(events);
    expect(order.indexOf('-pause')).toBeLessThan(order.indexOf('+try-failover'));
  });

  it('a manual failover of a paused master runs, and says it is paused', async () => {
    const topology = await topologyOfTwo();
    const { orchestrator, events } = await orchestrate(topology, {});
    await orchestrator.operate({ action: 'pause', master: 'mymaster', forMs: 60_000, reason: 'upgrade' });
    const started = await orchestrator.failover('mymaster');
    expect(started.paused).toMatchObject({ reason: 'upgrade' });
    await waitForEvent(events, '+switch-master');
  });

  it('refuses a pause without an end or a reason, naming what is wrong, touching nothing', async () => {
    const topology = await topologyOfTwo();
    const { orchestrator } = await orchestrate(topology, {});
    await expect(orchestrator.operate({ action: 'pause', master: 'mymaster', forMs: 8 * 24 * 3600_000, reason: 'x' })).rejects.toThrow(/from 1 s to 7 days/);
    await expect(orchestrator.operate({ action: 'pause', master: 'mymaster', forMs: 60_000, reason: ' ' })).rejects.toThrow(/needs a reason/);
    await expect(orchestrator.operate({ action: 'pause', master: 'nosuch', forMs: 60_000, reason: 'x' })).rejects.toThrow(/No such master/);
    expect((await orchestrator.store.getMaster('mymaster'))!.pause).toBeNull();
  });
});

describe('the command line through a running orchestrator', () => {
  let master: RedisServer;

  it('pause, status (text and --json), a failover, history, resume and get-master-addr', async () => {
    const topology = await topologyOfTwo();
    master = topology.master;
    const { orchestrator, events } = await orchestrate(topology, {}, { sentinelPort: 0 });
    const port = String(orchestrator.sentinelPort!.port);

    const pause = await cli('pause', 'mymaster', '--for', '30m', '--reason', 'kernel upgrade', '--port', port);
    expect(pause.code).toBe(0);
    expect(pause.stdout).toMatch(/^mymaster: paused until \S+Z \(kernel upgrade\): no automatic failover; a manual one still runs\n$/);

    const status = await cli('status', '--port', port);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`mymaster: master 127.0.0.1:${master.options.port} (answers as master), epoch 0`);
    expect(status.stdout).toMatch(/voters: 3 of 3 voting, 0 hold it down, quorum 2/);
    expect(status.stdout).toMatch(/pause: until \S+Z \(kernel upgrade; by manual\): no automatic failover/);
    for (const replica of topology.replicas)
      expect(status.stdout).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${replica.options.port}  slave, of 127\\.0\\.0\\.1:${master.options.port}, link up, lag \\d+ B`),
      );
    // What a Sentinel client sees of it: Sentinel's flags, then ours.
    const sentinel = new Redis({ port: Number(port), lazyConnect: true });
    const fields = (await sentinel.call('SENTINEL', 'MASTER', 'mymaster')) as string[];
    sentinel.disconnect();
    expect(fields[fields.indexOf('flags') + 1]).toBe('master,paused');
    expect(fields[fields.indexOf('paused-until') + 1]).toMatch(/Z$/);
    const json = JSON.parse((await cli('status', 'mymaster', '--json', '--port', port)).stdout);
    expect(json.masters[0]).toMatchObject({
      name: 'mymaster',
      epoch: 0,
      pause: { reason: 'kernel upgrade' },
      replicas: [{ role: 'slave' }, { role: 'slave' }],
    });

    const dir = mkdtempSync(path.join(tmpdir(), 'maintenance-'));
    const file = path.join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ probes: 3, masters: [{ name: 'mymaster', host: '127.0.0.1', port: master.options.port, quorum: 2 }] }));
    const failover = await cli('failover', 'mymaster', '--config', file, '--port', port);
    rmSync(dir, { recursive: true, force: true });
    expect(failover.code, failover.stderr).toBe(0);
    expect(failover.stderr).toMatch(/paused until \S+Z: a manual failover runs anyway/);
    await waitForEvent(events, '+switch-master');

    const history = await cli('history', 'mymaster', '--port', port);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`^mymaster-1: epoch 1, manual, 127\\.0\\.0\\.1:${master.options.port} → 127\\.0\\.0\\.1:\\d+, switched, \\d`));
    expect(history.stdout).toMatch(
      /\n {2}FailoverTriggered \d+ ms · WaitStart \d+ ms · SelectSlave \d+ ms · SendSlaveofNoOne \d+ ms · WaitPromotion \d+ ms · Reconfigure/,
    );
    const entries = JSON.parse((await cli('history', '--json', '--port', port)).stdout).failovers;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ execution: 'mymaster-1', epoch: 1, trigger: 'manual', result: 'switched' });

    const resume = await cli('resume', '--all', '--port', port);
    expect(resume.stdout).toBe('mymaster: resumed: automatic failover is on\n');
    const address = await cli('get-master-addr', 'mymaster', '--port', port);
    expect(address.stdout).toBe(`127.0.0.1 ${entries[0].to.port}\n`);
  });

  it('history --events-file: the failovers an events file tells, with no orchestrator to ask', async () => {
    const topology = await topologyOfTwo();
    const dir = mkdtempSync(path.join(tmpdir(), 'maintenance-'));
    try {
      const file = path.join(dir, 'config.json');
      const events = path.join(dir, 'events.jsonl');
      writeFileSync(file, JSON.stringify({ probes: 1, masters: [{ name: 'mymaster', host: '127.0.0.1', port: topology.master.options.port, quorum: 1 }] }));
      const failover = await cli('failover', 'mymaster', '--config', file, '--events-file', events, '--port', String(await ports.take()));
      expect(failover.code, failover.stderr).toBe(0);

      const history = await cli('history', '--events-file', events);
      expect(history.code, history.stderr).toBe(0);
      expect(history.stdout).toMatch(
        new RegExp(`^mymaster-1: epoch 1, manual, 127\\.0\\.0\\.1:${topology.master.options.port} → 127\\.0\\.0\\.1:\\d+, switched, `),
      );
      expect(history.stdout).toMatch(
        /\n {2}\+try-failover \d+ ms · \+failover-triggered \d+ ms · \+failover-state-select-slave \d+ ms · \+failover-state-send-slaveof-noone/,
      );
      const [entry] = JSON.parse((await cli('history', 'mymaster', '--events-file', events, '--json')).stdout).failovers;
      expect(entry).toMatchObject({ execution: 'mymaster-1', trigger: 'manual', result: 'switched' });
      expect((await cli('history', '--events-file', path.join(dir, 'none.jsonl'))).stderr).toBe(
        `redis-failover: --events-file: cannot read ${path.join(dir, 'none.jsonl')}: ENOENT\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says who could answer when nobody does, and exits 2', async () => {
    const free = String(await ports.take());
    const run = await cli('pause', 'mymaster', '--for', '1h', '--reason', 'x', '--port', free);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `redis-failover: pause needs a running orchestrator: none answers on 127.0.0.1:${free} (start redis-failover local, or give --port); for a deployed stack give --function <request function>\n`,
    );
    expect((await cli('pause', 'mymaster', '--for', 'soon', '--reason', 'x')).stderr).toMatch(/--for must be a duration such as 90s/);
  });
});
