import { describe, expect, it } from 'vitest';
import { sameHost } from '../../lambdas/adapters/dns.ts';

describe('sameHost', () => {
  it('matches a name and the address it resolves to, either way round', async () => {
    expect(await sameHost('localhost', '127.0.0.1')).toBe(true);
    expect(await sameHost('127.0.0.1', 'localhost')).toBe(true);
    expect(await sameHost('10.0.0.1', '10.0.0.1')).toBe(true);
  });

  it('tells different addresses apart, and matches nothing to a name that does not resolve', async () => {
    expect(await sameHost('127.0.0.1', '127.0.0.2')).toBe(false);
    expect(await sameHost('no-such-host.invalid', '127.0.0.1')).toBe(false);
  });
});
