/** The Redis adapter against a real redis-server: AUTH, refused credentials, renewed ones. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PollingLink, RedisLink } from '../../lambdas/adapters/redis.ts';
import { RedisServers } from '../../local/redis-servers.ts';
import { testPorts } from '../support/ports.ts';
import { RedisAuthError, RedisUnreachableError } from '../../lambdas/core/errors.ts';

const ports = testPorts();
let servers: RedisServers;

beforeEach(() => {
  servers = new RedisServers();
});

afterEach(async () => {
  await servers.stopAll();
});

async function error(attempt: Promise<unknown>): Promise<unknown> {
  return attempt.then(
    () => null,
    (e: unknown) => e,
  );
}

describe('RedisLink', () => {
  it('authenticates, and reports a refused password as such, not as a dead server', async () => {
    const server = await servers.start({ port: await ports.take(), password: 'right' });
    const link = await RedisLink.open(server.address, { credentials: { password: 'right' } });
    expect(await link.ping()).toBe(true);
    await link.close();

    const refused = await error(RedisLink.open(server.address, { credentials: { password: 'wrong' } }));
    expect(refused).toBeInstanceOf(RedisAuthError);
    expect((refused as Error).message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${server.options.port} refused authentication: WRONGPASS`));
    expect((refused as Error).message).not.toContain('wrong');
  });

  it('asks for renewed credentials once when the server refuses, and links with them', async () => {
    const server = await servers.start({ port: await ports.take(), password: 'rotated' });
    const renewCredentials = vi.fn(async () => ({ password: 'rotated' }));

    const link = await RedisLink.open(server.address, { credentials: { password: 'old' }, renewCredentials });

    expect(link.credentials).toEqual({ password: 'rotated' });
    expect(await link.ping()).toBe(true);
    expect(renewCredentials).toHaveBeenCalledTimes(1);
    await link.close();
  });

  it('gives up with the refusal when the renewed credentials are the same, or fail to load', async () => {
    const server = await servers.start({ port: await ports.take(), password: 'rotated' });
    const same = await error(RedisLink.open(server.address, { credentials: { password: 'old' }, renewCredentials: async () => ({ password: 'old' }) }));
    expect(same).toBeInstanceOf(RedisAuthError);
    const broken = await error(
      RedisLink.open(server.address, { credentials: { password: 'old' }, renewCredentials: () => Promise.reject(new Error('config unreadable')) }),
    );
    expect(broken).toBeInstanceOf(RedisAuthError);
  });

  it('asks for credentials at once when a server now wants a password and none is configured', async () => {
    const server = await servers.start({ port: await ports.take(), password: 'added' });
    const renewCredentials = vi.fn(async () => ({ password: 'added' }));

    const link = await RedisLink.open(server.address, { renewCredentials });

    expect(link.credentials).toEqual({ password: 'added' });
    expect(await link.ping()).toBe(true);
    expect(renewCredentials).toHaveBeenCalledTimes(1);
    await link.close();
    // Nothing to renew from (the config still has no auth): the refusal, as such.
    expect(await error(RedisLink.open(server.address, { renewCredentials: async () => undefined }))).toBeInstanceOf(RedisAuthError);
  });

  it('asks nothing more of a server without a password that links fine', async () => {
    const server = await servers.start({ port: await ports.take() });
    const renewCredentials = vi.fn(async () => ({ password: 'unused' }));
    const link = await RedisLink.open(server.address, { renewCredentials });
    expect(await link.ping()).toBe(true);
    expect(renewCredentials).not.toHaveBeenCalled();
    await link.close();
  });

  it('says unreachable for a port nobody listens on', async () => {
    const port = await ports.take();
    expect(await error(RedisLink.open({ host: '127.0.0.1', port }))).toBeInstanceOf(RedisUnreachableError);
  });
});

describe('PollingLink', () => {
  it('opens again after a refusal, with the credentials renewed by then, and keeps using them', async () => {
    const server = await servers.start({ port: await ports.take(), password: 'old' });
    let current = 'old';
    const renewCredentials = vi.fn(async () => ({ password: current }));
    const link = new PollingLink(server.address, { credentials: { password: 'old' }, renewCredentials });
    try {
      expect(await link.use((l) => l.ping())).toBe(true);

      // Rotation: the server first, every client cut off; the orchestrator's source is not updated yet.
      const admin = server.client();
      await admin.call('CONFIG', 'SET', 'requirepass', 'new');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
      admin.disconnect();
      await expect(link.use((l) => l.ping())).resolves.toBeUndefined(); // the killed connection
      await expect(link.use((l) => l.ping())).rejects.toBeInstanceOf(RedisAuthError);

      // The source now has it: the next use reconnects and authenticates with it.
      current = 'new';
      expect(await link.use((l) => l.ping())).toBe(true);
      const calls = renewCredentials.mock.calls.length;
      await link.use((l) => l.ping());
      expect(renewCredentials.mock.calls.length).toBe(calls);
    } finally {
      await link.close();
    }
  });
});
