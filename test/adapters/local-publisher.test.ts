import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalPublisher } from '../../lambdas/adapters/local-publisher.ts';
import { FanoutPublisher, MemoryPublisher } from '../../lambdas/adapters/publisher.ts';
import type { EventPublisher } from '../../lambdas/core/interfaces.ts';
import { masterEvent, switchMasterEvent } from '../../lambdas/core/events.ts';

const now = new Date('2026-11-25T13:10:15.123Z');
const master = { name: 'mymaster', host: '127.0.0.1', port: 6379 };
const events = [masterEvent('+sdown', master, { now }), switchMasterEvent(master, { host: '127.0.0.1', port: 6380 }, { now, epoch: 1 })];

function capture(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString('utf8') };
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('LocalPublisher', () => {
  it('writes one timestamped line per event', async () => {
    const { out, text } = capture();
    await new LocalPublisher({ out }).publish(events);
    expect(text()).toBe(
      '[2026-11-25T13:10:15.123Z] +sdown master mymaster 127.0.0.1 6379\n' +
        '[2026-11-25T13:10:15.123Z] +switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380\n',
    );
  });

  it('leaves timestamps out on request', async () => {
    const { out, text } = capture();
    await new LocalPublisher({ out, timestamps: false }).publish(events);
    expect(text()).toBe('+sdown master mymaster 127.0.0.1 6379\n+switch-master mymaster 127.0.0.1 6379 127.0.0.1 6380\n');
  });

  it('appends JSON lines to a file, creating its directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-publisher-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'deeper', 'events.jsonl');
    const publisher = new LocalPublisher({ out: capture().out, jsonLinesFile: file });
    await publisher.publish(events.slice(0, 1));
    await publisher.publish(events.slice(1));
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { time: '2026-11-25T13:10:15.123Z', type: '+sdown', master: 'mymaster', message: 'master mymaster 127.0.0.1 6379', detail: events[0]?.detail },
      {
        time: '2026-11-25T13:10:15.123Z',
        type: '+switch-master',
        master: 'mymaster',
        message: 'mymaster 127.0.0.1 6379 127.0.0.1 6380',
        detail: events[1]?.detail,
      },
    ]);
  });

  it('appends to an existing file rather than replacing it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-publisher-'));
    dirs.push(dir);
    const file = join(dir, 'events.jsonl');
    await new LocalPublisher({ out: capture().out, jsonLinesFile: file }).publish(events);
    await new LocalPublisher({ out: capture().out, jsonLinesFile: file }).publish(events);
    expect((await readFile(file, 'utf8')).trimEnd().split('\n')).toHaveLength(4);
  });
});

describe('LocalPublisher under concurrent publishers', () => {
  // The workflow's Parallel and Map branches publish at the same time: the file must tell the story in stdout's order.
  it('writes the file in the order the lines went to stdout', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'local-publisher-'));
    dirs.push(dir);
    const file = join(dir, 'events.jsonl');
    const { out, text } = capture();
    const publisher = new LocalPublisher({ out, timestamps: false, jsonLinesFile: file });
    const batches = Array.from({ length: 60 }, (_, i) => [masterEvent('+sdown', { ...master, port: 7000 + i }, { now })]);

    await Promise.all(batches.map((batch) => publisher.publish(batch)));

    const ports = (await readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { detail: { masterAddress: { port: number } } }).detail.masterAddress.port);
    const printed = text()
      .trimEnd()
      .split('\n')
      .map((l) => Number(l.split(' ').at(-1)));
    expect(ports).toEqual(printed);
    expect(ports).toHaveLength(60);
  });
});

describe('MemoryPublisher and FanoutPublisher', () => {
  it('keeps events in order', async () => {
    const memory = new MemoryPublisher();
    await memory.publish(events.slice(0, 1));
    await memory.publish(events.slice(1));
    expect(memory.events).toEqual(events);
  });

  it('publishes to every target, then reports the first failure', async () => {
    const a = new MemoryPublisher();
    const b = new MemoryPublisher();
    await new FanoutPublisher([a, b]).publish(events);
    expect(a.events).toEqual(events);
    expect(b.events).toEqual(events);

    const failing: EventPublisher = { publish: () => Promise.reject(new Error('bus down')) };
    const c = new MemoryPublisher();
    await expect(new FanoutPublisher([failing, c]).publish(events)).rejects.toThrow('bus down');
    expect(c.events).toEqual(events);
  });
});
