/** The config file the CDK app deploys: the same JSON as `redis-failover local`, with secrets and without passwords. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../lambdas/core/config.ts';
import { EXAMPLE_CONFIG_PATH, readDeployConfig } from '../../lib/config-file.ts';
import { redisPortsOf, secretArnsOf } from '../../lib/masters.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'deploy-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown): string => {
  const p = path.join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-failover/mymaster-AbCdEf';
const master = (overrides: Record<string, unknown> = {}) => ({ name: 'mymaster', host: '10.0.0.10', port: 6379, quorum: 2, ...overrides });

describe('examples/config.json', () => {
  it('deploys as it is: three probes, one master whose password is in Secrets Manager', () => {
    const config = readDeployConfig(EXAMPLE_CONFIG_PATH);
    expect(config.probes).toBe(3);
    expect(config.masters).toHaveLength(1);
    expect(config.masters[0]?.auth?.secretArn).toMatch(/^arn:aws:secretsmanager:/);
  });

  it('is refused by the local runtime, which cannot read Secrets Manager', () => {
    expect(() => loadConfig(EXAMPLE_CONFIG_PATH)).toThrow(`${EXAMPLE_CONFIG_PATH}: masters[0].auth.secretArn: the local runtime cannot read Secrets Manager`);
  });
});

describe('readDeployConfig', () => {
  it('returns the masters as written, and probes only when given', () => {
    expect(readDeployConfig(file('a.json', { masters: [master({ auth: { secretArn: SECRET } })] }))).toEqual({
      masters: [master({ auth: { secretArn: SECRET } })],
    });
    expect(readDeployConfig(file('b.json', { probes: 2, masters: [master()] }))).toEqual({ probes: 2, masters: [master()] });
  });

  it('refuses a password in clear or from the environment, naming the file and the field, never the password', () => {
    const clear =
      'a deployed config cannot hold a password (it would be stored in clear in the Lambda environment): store it in Secrets Manager and give auth.secretArn';
    const withPassword = file('p.json', { masters: [master({ auth: { password: 'hunter2' } })] });
    expect(() => readDeployConfig(withPassword)).toThrow(new ConfigError(`${withPassword}: masters[0].auth.password: ${clear}`));
    const withEnv = file('e.json', { masters: [master(), master({ name: 'two', auth: { username: 'u', passwordEnv: 'REDIS_PASSWORD' } })] });
    expect(() => readDeployConfig(withEnv)).toThrow(new ConfigError(`${withEnv}: masters[1].auth.passwordEnv: ${clear}`));
  });

  it('refuses what `local` refuses, as `local` words it', () => {
    const quorum = file('q.json', { probes: 2, masters: [master({ quorum: 3 })] });
    expect(() => readDeployConfig(quorum)).toThrow(`${quorum}: masters[0].quorum: quorum 3 is larger than probes (2)`);
    const notObject = file('n.json', [1]);
    expect(() => readDeployConfig(notObject)).toThrow(`${notObject}: must be an object (got array)`);
    const broken = file('broken.json', '{\n  "masters": [\n');
    expect(() => readDeployConfig(broken)).toThrow(new RegExp(`^cannot parse config file ${broken}: invalid JSON`));
    const secretInJson = file('s.json', '{ "masters": [ { "auth": { "password": hunter2 } } ] }');
    expect(() => readDeployConfig(secretInJson)).not.toThrow('hunter2');
    expect(() => readDeployConfig(path.join(dir, 'missing.json'))).toThrow(`cannot read config file ${path.join(dir, 'missing.json')}: ENOENT`);
  });
});

describe('what the construct derives from the config', () => {
  it('every Redis port and every secret, once each', () => {
    const config = parseConfig(
      {
        probes: 3,
        masters: [
          master({ port: 6380, auth: { secretArn: SECRET }, knownReplicas: [{ host: '10.0.0.11', port: 6379 }] }),
          master({ name: 'b', port: 6379, auth: { secretArn: SECRET } }),
        ],
      },
      'test',
      { deployed: true },
    );
    expect(redisPortsOf(config)).toEqual([6379, 6380]);
    expect(secretArnsOf(config)).toEqual([SECRET]);
  });
});
