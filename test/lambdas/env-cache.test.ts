/** The Lambda composition's cache (lambdas/runtime/aws/env-cache.ts): once per environment, never for another one. */
import { describe, expect, it } from 'vitest';
import { perEnv } from '../../lambdas/runtime/aws/env-cache.ts';

describe('perEnv', () => {
  it('builds once while the variables it reads stay the same, again (releasing the old part) when one changes', () => {
    const released: string[] = [];
    let builds = 0;
    const part = perEnv(
      ['BUS'],
      (env) => `${env.BUS}#${++builds}`,
      (previous) => released.push(previous),
    );
    expect(part({ BUS: 'a', OTHER: '1' })).toBe('a#1');
    expect(part({ BUS: 'a', OTHER: '2' })).toBe('a#1');
    expect(part({ BUS: 'b' })).toBe('b#2');
    expect(released).toEqual(['a#1']);
  });

  it('caches nothing when the build throws or its promise rejects: the next call builds again', async () => {
    let attempts = 0;
    const failing = perEnv(['BUS'], () => {
      attempts += 1;
      throw new Error('EVENT_BUS_NAME is not set');
    });
    expect(() => failing({})).toThrow('EVENT_BUS_NAME is not set');
    expect(() => failing({})).toThrow('EVENT_BUS_NAME is not set');
    expect(attempts).toBe(2);

    let starts = 0;
    const starting = perEnv(['BUS'], async () => {
      starts += 1;
      if (starts === 1) throw new Error('table unreachable');
      return starts;
    });
    await expect(starting({})).rejects.toThrow('table unreachable');
    await expect(starting({})).resolves.toBe(2);
    await expect(starting({})).resolves.toBe(2);
  });
});
