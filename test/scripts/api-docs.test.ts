import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_DOCS_PATH, apiEntries, renderApiDocs } from '../../scripts/api-docs.ts';

describe('the API reference (docs/API.md)', () => {
  const entries = apiEntries();

  it('is what the docs comments say now: `npm run api-docs` after changing them', () => {
    expect(readFileSync(API_DOCS_PATH, 'utf8')).toBe(renderApiDocs(entries));
  });

  it('documents every export and every public member, and gives every optional prop its @default', () => {
    expect(entries.map((e) => e.name)).toEqual(
      expect.arrayContaining(['RedisFailover', 'RedisFailoverProps', 'RedisMasterProps', 'DnsEndpointsProps', 'FailoverAlarms', 'RedisFailoverStackProps']),
    );
    expect(entries.filter((e) => e.doc === '').map((e) => e.name)).toEqual([]);
    expect(entries.flatMap((e) => e.members.filter((m) => m.doc === '').map((m) => `${e.name}.${m.name}`))).toEqual([]);
    expect(
      entries.flatMap((e) =>
        e.kind === 'interface' ? e.members.filter((m) => m.optional && m.defaultValue === undefined).map((m) => `${e.name}.${m.name}`) : [],
      ),
    ).toEqual([]);
  });
});
