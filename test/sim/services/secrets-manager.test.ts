import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SecretsManagerSource } from '../../../lambdas/adapters/secrets.ts';
import { isPortFree } from '../../../local/ports.ts';
import { SecretsManagerStandIn } from '../../../sim/services/secrets-manager.ts';
import { standInLifecycle } from '../../support/stand-ins.ts';

const ARN = 'arn:aws:secretsmanager:local-1:123456789012:secret:redis/mymaster-AbC123';
const OTHER = 'arn:aws:secretsmanager:local-1:123456789012:secret:other-XyZ789';
const VALUE = JSON.stringify({ password: 'hunter2-first' });

const lifecycle = standInLifecycle();
afterEach(() => {
  vi.restoreAllMocks();
});

function standIn(): Promise<SecretsManagerStandIn> {
  return lifecycle.start(SecretsManagerStandIn.start({ secrets: { [ARN]: VALUE, [OTHER]: 'plain-password' } }));
}

function client(s: SecretsManagerStandIn, accessKeyId = 'AKIDPROBE1'): SecretsManagerClient {
  return lifecycle.client(SecretsManagerClient, s.url, accessKeyId);
}

describe('SecretsManagerStandIn', () => {
  it('answers GetSecretValue by ARN, by name and by partial ARN, counting reads and callers', async () => {
    const s = await standIn();
    const before = Date.now();
    const out = await client(s).send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(out).toMatchObject({ ARN, Name: 'redis/mymaster', SecretString: VALUE, VersionStages: ['AWSCURRENT'] });
    expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.CreatedDate).toBeInstanceOf(Date);
    expect(out.CreatedDate?.getTime()).toBeLessThanOrEqual(before);

    const byName = await client(s, 'AKIDRECONF').send(new GetSecretValueCommand({ SecretId: 'redis/mymaster' }));
    const byPartialArn = await client(s).send(new GetSecretValueCommand({ SecretId: ARN.slice(0, -7) }));
    expect(byName.SecretString).toBe(VALUE);
    expect(byPartialArn.ARN).toBe(ARN);
    expect(s.reads(ARN)).toBe(3);
    expect(s.reads(OTHER)).toBe(0);
    expect(s.calls.map((c) => [c.operation, c.caller])).toEqual([
      ['GetSecretValue', 'AKIDPROBE1'],
      ['GetSecretValue', 'AKIDRECONF'],
      ['GetSecretValue', 'AKIDPROBE1'],
    ]);
  });

  it('refuses an unknown secret with ResourceNotFoundException', async () => {
    const s = await standIn();
    await expect(
      client(s).send(new GetSecretValueCommand({ SecretId: 'arn:aws:secretsmanager:local-1:123456789012:secret:nope-AbC123' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
    await expect(client(s).send(new GetSecretValueCommand({ SecretId: 'redis' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('set() rotates: a new AWSCURRENT version, the old one still readable as AWSPREVIOUS', async () => {
    const s = await standIn();
    const first = await client(s).send(new GetSecretValueCommand({ SecretId: ARN }));
    s.set(ARN, 'hunter2-second');
    const second = await client(s).send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(second.SecretString).toBe('hunter2-second');
    expect(second.VersionId).not.toBe(first.VersionId);
    const previous = await client(s).send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPREVIOUS' }));
    expect(previous).toMatchObject({ SecretString: VALUE, VersionId: first.VersionId, VersionStages: ['AWSPREVIOUS'] });
    const byVersion = await client(s).send(new GetSecretValueCommand({ SecretId: ARN, VersionId: first.VersionId }));
    expect(byVersion.SecretString).toBe(VALUE);
    await expect(client(s).send(new GetSecretValueCommand({ SecretId: ARN, VersionStage: 'AWSPENDING' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect(s.reads(ARN)).toBe(5);
    expect(() => s.set('arn:aws:secretsmanager:local-1:123456789012:secret:nope-AbC123', 'x')).toThrow(/no secret/);
  });

  it("the project's SecretsManagerSource reads it, and re-reads after a rotation", async () => {
    const s = await standIn();
    const source = new SecretsManagerSource({ client: client(s) });
    expect(await source.get(ARN)).toEqual({ password: 'hunter2-first' });
    expect(await source.get(ARN)).toEqual({ password: 'hunter2-first' }); // cached
    expect(s.reads(ARN)).toBe(1);
    s.set(ARN, JSON.stringify({ username: 'app', password: 'hunter2-second' }));
    expect(await source.refresh(ARN)).toEqual({ username: 'app', password: 'hunter2-second' });
    expect(s.reads(ARN)).toBe(2);
  });

  it('never writes a secret value to the console, nor to an error', async () => {
    const s = await standIn();
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) => vi.spyOn(console, level));
    await client(s).send(new GetSecretValueCommand({ SecretId: ARN }));
    const error = await client(s)
      .send(new GetSecretValueCommand({ SecretId: 'nope' }))
      .catch((e: unknown) => e as Error);
    const printed = spies.flatMap((spy) => spy.mock.calls.flat().map(String)).join('\n');
    expect(printed).not.toContain('hunter2');
    expect(String((error as Error).message)).not.toContain('hunter2');
    expect(JSON.stringify(s.calls)).not.toContain('hunter2');
  });

  it('refuses a key that is not a full secret ARN at start', async () => {
    await expect(SecretsManagerStandIn.start({ secrets: { 'redis/mymaster': 'x' } })).rejects.toThrow(/not a full secret ARN/);
  });

  it('stop() frees the port', async () => {
    const s = await SecretsManagerStandIn.start({ secrets: { [ARN]: VALUE } });
    const port = Number(new URL(s.url).port);
    await client(s).send(new GetSecretValueCommand({ SecretId: ARN }));
    expect(await isPortFree(port)).toBe(false);
    await s.stop();
    expect(await isPortFree(port)).toBe(true);
  });
});
