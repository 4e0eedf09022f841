/** Redis AUTH from Secrets Manager: the adapter (GetSecretValue mocked at the API boundary) and the Lambda runtime's use of it. */
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRedisSecret, SECRET_TTL_MS, SecretsManagerSource, sharedSecretSource, type SecretSource } from '../../lambdas/adapters/secrets.ts';
import type { RedisLinkOptions } from '../../lambdas/core/interfaces.ts';
import { configFromEnv } from '../../lambdas/runtime/aws/orchestrator.ts';
import { linkOptionsFrom } from '../../lambdas/runtime/credentials.ts';
import { parseConfig } from '../../lambdas/core/config.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-failover/mymaster-AbCdEf';
const OTHER = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-failover/other-XyZ123';
const PASSWORD = 'hunter2-very-secret';

const sm = mockClient(SecretsManagerClient);
afterAll(() => sm.restore());
beforeEach(() => sm.reset());

function source(now: () => number = () => 0): SecretsManagerSource {
  return new SecretsManagerSource({ client: new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), now });
}

describe('parseRedisSecret', () => {
  it('reads a JSON secret: password and username, other keys ignored', () => {
    expect(parseRedisSecret(JSON.stringify({ username: 'failover', password: PASSWORD, host: '10.0.0.1', engine: 'redis' }), ARN)).toEqual({
      username: 'failover',
      password: PASSWORD,
    });
    expect(parseRedisSecret(JSON.stringify({ password: PASSWORD }), ARN)).toEqual({ password: PASSWORD });
  });

  it('takes any other text as the password itself', () => {
    expect(parseRedisSecret(PASSWORD, ARN)).toEqual({ password: PASSWORD });
    expect(parseRedisSecret('12345', ARN)).toEqual({ password: '12345' });
    expect(parseRedisSecret('"quoted"', ARN)).toEqual({ password: '"quoted"' });
    expect(parseRedisSecret('{not json', ARN)).toEqual({ password: '{not json' });
  });

  it('refuses what cannot be a password, naming the secret and never quoting its content', () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, `secret ${ARN} has no SecretString (a binary secret cannot hold a Redis password)`],
      ['', `secret ${ARN} is empty`],
      [JSON.stringify({ user: PASSWORD }), `secret ${ARN}: a JSON secret must hold a non-empty string "password"`],
      [JSON.stringify({ password: '' }), `secret ${ARN}: a JSON secret must hold a non-empty string "password"`],
      [JSON.stringify({ password: 42 }), `secret ${ARN}: a JSON secret must hold a non-empty string "password"`],
      [JSON.stringify({ password: PASSWORD, username: 7 }), `secret ${ARN}: "username", when present, must be a non-empty string`],
    ];
    for (const [text, message] of cases) {
      expect(() => parseRedisSecret(text, ARN)).toThrow(message);
      try {
        parseRedisSecret(text, ARN);
      } catch (error) {
        expect((error as Error).message).not.toContain(PASSWORD);
      }
    }
  });
});

describe('SecretsManagerSource', () => {
  it('refresh reads the secret again at once and caches the new value', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolvesOnce({ SecretString: 'old' }).resolves({ SecretString: 'rotated' });
    const secrets = source();
    expect(await secrets.get(ARN)).toEqual({ password: 'old' });
    expect(await secrets.refresh(ARN)).toEqual({ password: 'rotated' });
    expect(await secrets.get(ARN)).toEqual({ password: 'rotated' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reads the secret by its ARN with GetSecretValue', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify({ username: 'failover', password: PASSWORD }) });
    await expect(source().get(ARN)).resolves.toEqual({ username: 'failover', password: PASSWORD });
    expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: ARN }]);
  });

  it('reads each secret once per 5 minutes; concurrent callers share one read', async () => {
    let now = 1_000;
    const secrets = source(() => now);
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: PASSWORD });
    sm.on(GetSecretValueCommand, { SecretId: OTHER }).resolves({ SecretString: 'other' });
    await Promise.all([secrets.get(ARN), secrets.get(ARN), secrets.get(OTHER)]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    now += SECRET_TTL_MS - 1;
    await secrets.get(ARN);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    now += 1;
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: 'rotated' });
    await expect(secrets.get(ARN)).resolves.toEqual({ password: 'rotated' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(3);
    expect(SECRET_TTL_MS).toBe(300_000);
  });

  it('does not cache a failed read: the next call asks again', async () => {
    const secrets = source();
    sm.on(GetSecretValueCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }))
      .resolves({ SecretString: PASSWORD });
    await expect(secrets.get(ARN)).rejects.toThrow(`cannot read secret ${ARN}: ResourceNotFoundException: Secrets Manager can't find the specified secret.`);
    await expect(secrets.get(ARN)).resolves.toEqual({ password: PASSWORD });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('does not cache an unusable secret either', async () => {
    const secrets = source();
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ pass: PASSWORD }) })
      .resolves({ SecretString: JSON.stringify({ password: PASSWORD }) });
    await expect(secrets.get(ARN)).rejects.toThrow(`secret ${ARN}: a JSON secret must hold a non-empty string "password"`);
    await expect(secrets.get(ARN)).resolves.toEqual({ password: PASSWORD });
  });

  it('is one shared source per container', () => {
    expect(sharedSecretSource()).toBe(sharedSecretSource());
  });
});

/** Link options without the renewal callback, to compare by value. */
const plain = ({ renewCredentials: _renew, ...rest }: RedisLinkOptions) => rest;

describe('the Lambda runtime: credentials from the config', () => {
  const master = (auth: Record<string, unknown> | undefined) => ({ name: 'mymaster', host: '10.0.0.1', port: 6379, quorum: 1, ...(auth && { auth }) });
  const fakeSecrets = (values: Record<string, { username?: string; password: string }>) => {
    const read = async (arn: string) => {
      const value = values[arn];
      if (!value) throw new Error(`cannot read secret ${arn}: AccessDeniedException`);
      return value;
    };
    const get = vi.fn(read);
    const refresh = vi.fn(read);
    const secrets: SecretSource = { get, refresh };
    return { secrets: () => secrets, get, refresh };
  };

  it('REDIS_FAILOVER_CONFIG accepts auth.secretArn (the deployed functions can read it)', () => {
    const config = configFromEnv({ REDIS_FAILOVER_CONFIG: JSON.stringify({ probes: 1, masters: [master({ username: 'failover', secretArn: ARN })] }) });
    expect(config.masters[0]?.auth).toEqual({ username: 'failover', secretArn: ARN });
  });

  it('reads the password from the secret when a link to the master group is made', async () => {
    const config = parseConfig({ probes: 1, masters: [master({ username: 'failover', secretArn: ARN })] }, 'c', { allowSecretArn: true });
    const { secrets, get } = fakeSecrets({ [ARN]: { password: PASSWORD } });
    const linkOptions = linkOptionsFrom(config, true, secrets);
    expect(get).not.toHaveBeenCalled();
    await expect(linkOptions('mymaster').then(plain)).resolves.toEqual({ credentials: { username: 'failover', password: PASSWORD }, tls: true });
    expect(get).toHaveBeenCalledWith(ARN);
  });

  it("prefers the secret's username to the config's", async () => {
    const config = parseConfig({ probes: 1, masters: [master({ username: 'from-config', secretArn: ARN })] }, 'c', { allowSecretArn: true });
    const { secrets } = fakeSecrets({ [ARN]: { username: 'from-secret', password: PASSWORD } });
    await expect(linkOptionsFrom(config, false, secrets)('mymaster').then(plain)).resolves.toEqual({
      credentials: { username: 'from-secret', password: PASSWORD },
    });
  });

  it('passes no secretArn on to the Redis client, and asks no secret for a group without one', async () => {
    const config = parseConfig({ probes: 1, masters: [master({ password: PASSWORD }), { ...master(undefined), name: 'open' }] }, 'c');
    const { secrets, get } = fakeSecrets({});
    await expect(linkOptionsFrom(config, false, secrets)('mymaster').then(plain)).resolves.toEqual({ credentials: { password: PASSWORD } });
    await expect(linkOptionsFrom(config, false, secrets)('open').then(plain)).resolves.toEqual({});
    expect(get).not.toHaveBeenCalled();
  });

  it('reads the secret again when a server refuses it, at most once per pause, and keeps the new one', async () => {
    const config = parseConfig({ probes: 1, masters: [master({ secretArn: ARN })] }, 'c', { allowSecretArn: true });
    const values: Record<string, { password: string }> = { [ARN]: { password: 'old' } };
    const { secrets, get, refresh } = fakeSecrets(values);
    const linkOptions = linkOptionsFrom(config, false, secrets);
    const options = await linkOptions('mymaster');
    values[ARN] = { password: 'rotated' };

    expect(await options.renewCredentials?.()).toEqual({ password: 'rotated' });
    expect(await options.renewCredentials?.()).toEqual({ password: 'rotated' });
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('re-reads the whole config through reload (the local runtime) and links with what it says from then on', async () => {
    let password = 'old';
    const configWith = () => parseConfig({ probes: 1, masters: [master({ username: 'failover', password })] }, 'c');
    const linkOptions = linkOptionsFrom(configWith(), false, fakeSecrets({}).secrets, configWith);
    const options = await linkOptions('mymaster');
    password = 'rotated';

    expect(await options.renewCredentials?.()).toEqual({ username: 'failover', password: 'rotated' });
    expect((await linkOptions('mymaster')).credentials).toEqual({ username: 'failover', password: 'rotated' });
  });

  it('fails the link when the secret cannot be read, without any password in the message', async () => {
    const config = parseConfig({ probes: 1, masters: [master({ secretArn: ARN })] }, 'c', { allowSecretArn: true });
    const { secrets } = fakeSecrets({});
    await expect(linkOptionsFrom(config, false, secrets)('mymaster')).rejects.toThrow(`cannot read secret ${ARN}: AccessDeniedException`);
  });

  it('goes through Secrets Manager by default (the shared, cached source)', async () => {
    sm.on(GetSecretValueCommand, { SecretId: OTHER }).resolves({ SecretString: JSON.stringify({ password: PASSWORD }) });
    const config = parseConfig({ probes: 1, masters: [master({ secretArn: OTHER })] }, 'c', { allowSecretArn: true });
    const previous = { region: process.env.AWS_REGION, key: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_REGION = 'eu-west-1';
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    try {
      const linkOptions = linkOptionsFrom(config, false);
      await expect(linkOptions('mymaster').then(plain)).resolves.toEqual({ credentials: { password: PASSWORD } });
      await linkOptions('mymaster');
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    } finally {
      for (const [name, value] of [
        ['AWS_REGION', previous.region],
        ['AWS_ACCESS_KEY_ID', previous.key],
        ['AWS_SECRET_ACCESS_KEY', previous.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});
