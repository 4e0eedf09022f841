import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { configDocument, loadConfig, parseConfig, parseConfigText, settingsOf } from '../../lambdas/core/config.ts';
import { ConfigError } from '../../lambdas/core/errors.ts';

const SECRET = 'hunter2-very-secret';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-failover/mymaster-AbCdEf';

function master(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'mymaster', host: '127.0.0.1', port: 6379, quorum: 2, ...overrides };
}

/** The message parseConfig throws for `raw`. */
function refusal(raw: unknown): string {
  try {
    parseConfig(raw, 'cluster.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('config was accepted');
}

const withMaster = (overrides: Record<string, unknown>) => refusal({ masters: [master(overrides)] });

describe('parseConfig: accepted input', () => {
  it('fills every default', () => {
    const config = parseConfig({ masters: [master()] });
    expect(config).toEqual({
      probes: 3,
      masters: [
        {
          name: 'mymaster',
          host: '127.0.0.1',
          port: 6379,
          quorum: 2,
          downAfterMs: 30000,
          failoverTimeoutMs: 180000,
          parallelSyncs: 1,
          waitStartSeconds: 0,
          masterRebootDownAfterMs: 0,
          auth: undefined,
          knownReplicas: [],
          fencing: null,
          witnesses: false,
        },
      ],
    });
  });

  it('turns the managed fence on with a lag window a second longer than down-after, or as given', () => {
    const fencing = (value: unknown, downAfterMs = 1000) => parseConfig({ masters: [master({ downAfterMs, fencing: value })] }).masters[0]!.fencing;
    expect(fencing(true)).toEqual({ minReplicas: 1, maxLagSeconds: 2 });
    expect(fencing(true, 5500)).toEqual({ minReplicas: 1, maxLagSeconds: 7 });
    expect(fencing({ maxLagSeconds: 10 })).toEqual({ minReplicas: 1, maxLagSeconds: 10 });
    expect(fencing({ minReplicas: 2 })).toEqual({ minReplicas: 2, maxLagSeconds: 2 });
    expect(fencing(false)).toBeNull();
    expect(withMaster({ fencing: 'yes' })).toBe('cluster.json: masters[0].fencing: must be true, false or { minReplicas, maxLagSeconds }');
    expect(withMaster({ fencing: { maxLagSeconds: 0 } })).toBe('cluster.json: masters[0].fencing.maxLagSeconds: must be a positive integer (got 0)');
    expect(withMaster({ fencing: { lag: 1 } })).toBe('cluster.json: masters[0].fencing: unknown key "lag"');
  });

  it('keeps explicit values, known replicas and auth', () => {
    const config = parseConfig({
      probes: 5,
      masters: [
        master({
          quorum: 5,
          downAfterMs: 1000,
          failoverTimeoutMs: 10000,
          parallelSyncs: 2,
          waitStartSeconds: 3,
          auth: { username: 'default', password: SECRET },
          knownReplicas: [{ host: '127.0.0.1', port: 6380 }],
        }),
        master({ name: 'other.cache_2-b', host: 'redis.internal', port: 7000, quorum: 1 }),
      ],
    });
    expect(config.probes).toBe(5);
    expect(config.masters[0]).toMatchObject({ quorum: 5, downAfterMs: 1000, failoverTimeoutMs: 10000, parallelSyncs: 2, waitStartSeconds: 3 });
    expect(config.masters[0]?.auth).toEqual({ username: 'default', password: SECRET });
    expect(config.masters[0]?.knownReplicas).toEqual([{ host: '127.0.0.1', port: 6380 }]);
    expect(config.masters[1]?.name).toBe('other.cache_2-b');
  });

  it('accepts a 64-character name', () => {
    expect(parseConfig({ masters: [master({ name: 'a'.repeat(64) })] }).masters[0]?.name).toHaveLength(64);
  });

  it('settingsOf gives the failover settings only', () => {
    const m = parseConfig({ masters: [master({ downAfterMs: 5000, auth: { password: SECRET } })] }).masters[0];
    if (!m) throw new Error('no master');
    expect(settingsOf(m)).toEqual({ downAfterMs: 5000, failoverTimeoutMs: 180000, parallelSyncs: 1, waitStartSeconds: 0 });
  });

  it('takes zone preference into the failover settings as one preference, and refuses a zone that is not a name', () => {
    const m = parseConfig({ masters: [master({ zones: { '10.0.1.0/24': 'a', '10.0.2.9:6380': 'b' }, preferredZones: ['b'] })] }).masters[0];
    expect(m && settingsOf(m).zonePreference).toEqual({
      zones: { '10.0.1.0/24': 'a', '10.0.2.9:6380': 'b' },
      preferredZones: ['b'],
      avoidSameZoneAsOldMaster: false,
    });
    expect(parseConfig({ masters: [master()] }).masters[0]).not.toHaveProperty('zonePreference');
    expect(() => parseConfig({ masters: [master({ zones: { '10.0.1.0/24': 3 } })] }, 'c.json')).toThrow(/^c\.json: masters\[0\]\.zones\.10\.0\.1\.0\/24: /);
  });

  it('takes the lag gate, maxPromotionLagBytes, into the failover settings, and refuses a negative one by name', () => {
    const m = parseConfig({ masters: [master({ maxPromotionLagBytes: 1_000_000 })] }).masters[0];
    if (!m) throw new Error('no master');
    expect(settingsOf(m)).toMatchObject({ maxPromotionLagBytes: 1_000_000 });
    expect(parseConfig({ masters: [master()] }).masters[0]).not.toHaveProperty('maxPromotionLagBytes');
    expect(() => parseConfig({ masters: [master({ maxPromotionLagBytes: -1 })] }, 'c.json')).toThrow(/^c\.json: masters\[0\]\.maxPromotionLagBytes: /);
  });
});

describe('parseConfig: refusals', () => {
  it('refuses a document that is not an object', () => {
    expect(refusal([])).toBe('cluster.json: must be an object (got array)');
    expect(refusal(null)).toBe('cluster.json: must be an object (got null)');
  });

  it('refuses unknown keys at the top and in a master', () => {
    expect(refusal({ masters: [master()], sentinels: 3 })).toBe('cluster.json: unknown key "sentinels"');
    expect(withMaster({ downAfterMilliseconds: 5000 })).toBe('cluster.json: masters[0]: unknown key "downAfterMilliseconds"');
    expect(withMaster({ auth: { password: SECRET, pass: 'x' } })).toBe('cluster.json: masters[0].auth: unknown key "pass"');
    expect(withMaster({ knownReplicas: [{ host: 'h', port: 1, priority: 1 }] })).toBe('cluster.json: masters[0].knownReplicas[0]: unknown key "priority"');
  });

  it('refuses missing and empty masters', () => {
    expect(refusal({})).toBe('cluster.json: masters: is required (an array)');
    expect(refusal({ masters: [] })).toBe('cluster.json: masters: must list at least one master');
    expect(refusal({ masters: {} })).toBe('cluster.json: masters: must be an array (got object)');
  });

  it('refuses wrong types, naming the expected type', () => {
    expect(withMaster({ port: '6379' })).toBe('cluster.json: masters[0].port: must be an integer from 1 to 65535');
    expect(withMaster({ quorum: true })).toBe('cluster.json: masters[0].quorum: must be a positive integer (got boolean)');
    expect(withMaster({ host: 42 })).toBe('cluster.json: masters[0].host: must be a non-empty host name without whitespace (got 42)');
    expect(withMaster({ auth: 'secret' })).toBe('cluster.json: masters[0].auth: must be an object');
    expect(withMaster({ knownReplicas: {} })).toBe('cluster.json: masters[0].knownReplicas: must be an array (got object)');
    expect(refusal({ probes: '3', masters: [master()] })).toBe('cluster.json: probes: must be a positive integer');
    expect(refusal({ masters: ['mymaster'] })).toBe('cluster.json: masters[0]: must be an object');
  });

  it('refuses missing required fields', () => {
    expect(refusal({ masters: [{ name: 'm', host: 'h', port: 1 }] })).toBe('cluster.json: masters[0].quorum: is required (a positive integer)');
    expect(refusal({ masters: [{ host: 'h', port: 1, quorum: 1 }] })).toMatch(/^cluster\.json: masters\[0\]\.name: is required/);
  });

  it('refuses quorum 0 and quorum larger than probes', () => {
    expect(withMaster({ quorum: 0 })).toBe('cluster.json: masters[0].quorum: must be a positive integer (got 0)');
    expect(withMaster({ quorum: 4 })).toBe('cluster.json: masters[0].quorum: quorum 4 is larger than probes (3)');
    expect(refusal({ probes: 1, masters: [master({ quorum: 1 }), master({ name: 'b', quorum: 2 })] })).toBe(
      'cluster.json: masters[1].quorum: quorum 2 is larger than probes (1)',
    );
    expect(refusal({ probes: 0, masters: [master()] })).toBe('cluster.json: probes: must be a positive integer (got 0)');
  });

  it('refuses non-positive and fractional times', () => {
    expect(withMaster({ downAfterMs: -5 })).toBe('cluster.json: masters[0].downAfterMs: must be a positive integer (got -5)');
    expect(withMaster({ downAfterMs: 0 })).toBe('cluster.json: masters[0].downAfterMs: must be a positive integer (got 0)');
    expect(withMaster({ failoverTimeoutMs: 0 })).toBe('cluster.json: masters[0].failoverTimeoutMs: must be a positive integer (got 0)');
    expect(withMaster({ failoverTimeoutMs: 1.5 })).toBe('cluster.json: masters[0].failoverTimeoutMs: must be a positive integer (got 1.5)');
    expect(withMaster({ parallelSyncs: 0 })).toBe('cluster.json: masters[0].parallelSyncs: must be a positive integer (got 0)');
    expect(withMaster({ waitStartSeconds: -1 })).toBe('cluster.json: masters[0].waitStartSeconds: must be an integer >= 0 (got -1)');
  });

  it('refuses bad ports', () => {
    for (const port of [0, 65536, -1, 6379.5]) {
      expect(withMaster({ port })).toBe(`cluster.json: masters[0].port: must be an integer from 1 to 65535 (got ${port})`);
    }
    expect(withMaster({ knownReplicas: [{ host: 'h', port: 70000 }] })).toBe(
      'cluster.json: masters[0].knownReplicas[0].port: must be an integer from 1 to 65535 (got 70000)',
    );
  });

  it('refuses empty hosts and hosts with whitespace', () => {
    expect(withMaster({ host: '' })).toBe('cluster.json: masters[0].host: must be a non-empty host name without whitespace');
    expect(withMaster({ host: '10.0.0.1 ' })).toMatch(/masters\[0\]\.host: must be a non-empty host name/);
  });

  it('refuses names Sentinel messages or execution names could not carry', () => {
    const rule = '1 to 64 characters of A-Z a-z 0-9 . _ -';
    expect(withMaster({ name: 'my master' })).toBe(`cluster.json: masters[0].name: must be ${rule} (got "my master")`);
    expect(withMaster({ name: 'my\nmaster' })).toBe(`cluster.json: masters[0].name: must be ${rule} (got "my\\nmaster")`);
    expect(withMaster({ name: 'my\u0007master' })).toBe(`cluster.json: masters[0].name: must be ${rule} (got "my\\u0007master")`);
    expect(withMaster({ name: 'master*' })).toBe(`cluster.json: masters[0].name: must be ${rule} (got "master*")`);
    expect(withMaster({ name: '' })).toBe(`cluster.json: masters[0].name: must be ${rule} (got "")`);
    expect(withMaster({ name: 'a'.repeat(70) })).toMatch(/^cluster\.json: masters\[0\]\.name: must be 1 to 64 characters/);
  });

  it('refuses duplicate names, naming the duplicate', () => {
    expect(refusal({ masters: [master(), master({ name: 'b' }), master({ port: 6390 })] })).toBe(
      'cluster.json: masters[2].name: duplicate master name "mymaster" (also masters[0].name)',
    );
  });

  it('refuses auth without exactly one of password, passwordEnv and secretArn', () => {
    const message = 'cluster.json: masters[0].auth: give exactly one of password, passwordEnv or secretArn';
    expect(withMaster({ auth: { username: 'u' } })).toBe(message);
    expect(withMaster({ auth: { password: SECRET, passwordEnv: 'REDIS_PASSWORD' } })).toBe(message);
    expect(withMaster({ auth: { password: SECRET, secretArn: SECRET_ARN } })).toBe(message);
    expect(withMaster({ auth: { passwordEnv: 'REDIS_PASSWORD', secretArn: SECRET_ARN } })).toBe(message);
  });

  it('reports only the first issue', () => {
    expect(refusal({ probes: 0, masters: [master({ port: 0, quorum: 0 })] })).toBe('cluster.json: probes: must be a positive integer (got 0)');
  });

  it('uses "config" as the default source', () => {
    expect(() => parseConfig({})).toThrow(/^config: masters: /);
  });
});

describe('passwordEnv', () => {
  const VAR = 'REDIS_FAILOVER_TEST_PASSWORD';
  afterEach(() => {
    delete process.env[VAR];
  });

  it('reads the password from the environment at load time', () => {
    process.env[VAR] = SECRET;
    const config = parseConfig({ masters: [master({ auth: { username: 'app', passwordEnv: VAR } })] });
    expect(config.masters[0]?.auth).toEqual({ username: 'app', password: SECRET });
  });

  it('names a missing variable', () => {
    expect(withMaster({ auth: { passwordEnv: VAR } })).toBe(`cluster.json: masters[0].auth.passwordEnv: environment variable ${VAR} is not set or empty`);
  });
});

describe('secretArn', () => {
  const withSecret = (auth: Record<string, unknown>) => ({ masters: [master({ auth })] });

  it('is refused by default (the local runtime), naming the field, in one line', () => {
    expect(refusal(withSecret({ username: 'app', secretArn: SECRET_ARN }))).toBe(
      'cluster.json: masters[0].auth.secretArn: the local runtime cannot read Secrets Manager (only the deployed Lambda functions do): give password or passwordEnv',
    );
  });

  it('is refused by loadConfig too, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-secret-'));
    try {
      const path = join(dir, 'cluster.json');
      writeFileSync(path, JSON.stringify(withSecret({ secretArn: SECRET_ARN })));
      expect(() => loadConfig(path)).toThrow(
        new ConfigError(
          `${path}: masters[0].auth.secretArn: the local runtime cannot read Secrets Manager (only the deployed Lambda functions do): give password or passwordEnv`,
        ),
      );
      expect(loadConfig(path, { allowSecretArn: true }).masters[0]?.auth).toEqual({ secretArn: SECRET_ARN });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stays a reference when allowed: no password is read at parse time', () => {
    const config = parseConfig(withSecret({ username: 'app', secretArn: SECRET_ARN }), 'cluster.json', { allowSecretArn: true });
    expect(config.masters[0]?.auth).toEqual({ username: 'app', secretArn: SECRET_ARN });
  });

  it('accepts the ARN of other partitions', () => {
    const arn = 'arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:redis/auth-AbCdEf';
    expect(parseConfig(withSecret({ secretArn: arn }), 'c', { allowSecretArn: true }).masters[0]?.auth).toEqual({ secretArn: arn });
  });

  it('refuses what is not a secret ARN, without echoing it', () => {
    const options = { allowSecretArn: true };
    const refused = (secretArn: unknown) => {
      try {
        parseConfig(withSecret({ secretArn }), 'cluster.json', options);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    const rule = 'must be the ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>)';
    expect(refused(SECRET)).toBe(`cluster.json: masters[0].auth.secretArn: ${rule}`);
    expect(refused('arn:aws:ssm:eu-west-1:111122223333:parameter/redis')).toBe(`cluster.json: masters[0].auth.secretArn: ${rule}`);
    expect(refused('redis-failover/mymaster')).toBe(`cluster.json: masters[0].auth.secretArn: ${rule}`);
    expect(refused(42)).toBe(`cluster.json: masters[0].auth.secretArn: ${rule} (got 42)`);
  });
});

describe('no password in any error message', () => {
  const cases: Record<string, unknown> = {
    'unknown key next to the password': { masters: [master({ auth: { password: SECRET, extra: 1 } })] },
    'both password and passwordEnv': { masters: [master({ auth: { password: SECRET, passwordEnv: 'X' } })] },
    'password of the wrong type': { masters: [master({ auth: { password: [SECRET] } })] },
    'password as the username type': { masters: [master({ auth: { username: { SECRET }, password: SECRET } })] },
    'password given as passwordEnv': { masters: [master({ auth: { passwordEnv: SECRET } })] },
    'password in the port': { masters: [master({ port: SECRET, auth: { password: SECRET } })] },
    'password in the host': { masters: [master({ host: `${SECRET} x`, auth: { password: SECRET } })] },
    'bad field after the password': { masters: [master({ auth: { password: SECRET }, quorum: 9 })] },
  };
  for (const [name, raw] of Object.entries(cases)) {
    it(name, () => {
      expect(refusal(raw)).not.toContain(SECRET);
    });
  }
});

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads a valid file', () => {
    const path = file('ok.json', JSON.stringify({ probes: 3, masters: [master()] }));
    expect(loadConfig(path).masters[0]?.name).toBe('mymaster');
  });

  it('names the file in validation errors', () => {
    const path = file('bad.json', JSON.stringify({ masters: [master({ downAfterMs: -5 })] }));
    expect(() => loadConfig(path)).toThrow(`${path}: masters[0].downAfterMs: must be a positive integer (got -5)`);
  });

  it('refuses a missing file with the OS reason', () => {
    const path = join(dir, 'missing.json');
    expect(() => loadConfig(path)).toThrow(new ConfigError(`cannot read config file ${path}: ENOENT (no such file or directory)`));
  });

  it('refuses a directory', () => {
    expect(() => loadConfig(dir)).toThrow(`cannot read config file ${dir}: EISDIR`);
  });

  it('refuses invalid JSON, naming the file and the problem', () => {
    const path = file('broken.json', '{\n  "probes": 3,\n  "masters": [\n');
    expect(() => loadConfig(path)).toThrow(new RegExp(`^cannot parse config file ${path}: invalid JSON`));
    const trailing = file('trailing.json', '{\n  "probes": 3,\n}');
    // The position becomes a line and column (V8's wording of the problem may vary by Node version).
    expect(() => loadConfig(trailing)).toThrow(new RegExp(`^cannot parse config file ${trailing}: invalid JSON \\(.+ at line 3 column 1\\)$`));
  });

  it('never quotes the file text of invalid JSON (it may hold a password)', () => {
    const path = file('unquoted.json', `{ "masters": [ { "auth": { "password": ${SECRET} } } ] }`);
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).not.toThrow(SECRET);
    const short = file('short.json', `{"password": ${SECRET}}`);
    expect(() => loadConfig(short)).not.toThrow(SECRET);
  });
});

describe('the deployed flavour (the CDK app, the construct)', () => {
  const deployed = (raw: unknown, options = {}): string => {
    try {
      parseConfig(raw, 'deploy.json', { deployed: true, ...options });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('config was accepted');
  };
  const clear =
    'a deployed config cannot hold a password (it would be stored in clear in the Lambda environment): store it in Secrets Manager and give auth.secretArn';

  it('accepts a secret, refuses a password in clear or from the environment, before anything else', () => {
    expect(parseConfig({ masters: [master({ auth: { secretArn: SECRET_ARN } })] }, 'deploy.json', { deployed: true }).masters[0]?.auth).toEqual({
      secretArn: SECRET_ARN,
    });
    expect(deployed({ masters: [master({ auth: { password: SECRET } })] })).toBe(`deploy.json: masters[0].auth.password: ${clear}`);
    expect(deployed({ masters: [master({ port: 0, auth: { passwordEnv: 'REDIS_PASSWORD' } })] })).toBe(`deploy.json: masters[0].auth.passwordEnv: ${clear}`);
    expect(deployed({ masters: [master({ auth: { password: SECRET } })] })).not.toContain(SECRET);
  });

  it('wants the full ARN of a secret, suffix included', () => {
    expect(deployed({ masters: [master({ auth: { secretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis' } })] })).toBe(
      'deploy.json: masters[0].auth.secretArn: give the full ARN, with the 6-character suffix Secrets Manager adds to the name (IAM grants match the full ARN)',
    );
  });

  it('says how the probes were counted when a quorum is larger', () => {
    expect(deployed({ probes: 2, masters: [master({ quorum: 3 })] }, { probesFrom: 'one per zone' })).toBe(
      'deploy.json: masters[0].quorum: quorum 3 is larger than the number of probes (2: one per zone)',
    );
    expect(deployed({ probes: 2, masters: [master({ quorum: 3 })] })).toBe('deploy.json: masters[0].quorum: quorum 3 is larger than probes (2)');
  });
});

describe('parseConfigText: JSON text to a Config, as a file or a variable holds it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'config-text-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('parses and validates, naming the source', () => {
    expect(parseConfigText(JSON.stringify({ masters: [master()] }), 'VAR').masters[0]?.name).toBe('mymaster');
    expect(() => parseConfigText(JSON.stringify({ masters: [master({ quorum: 0 })] }), 'VAR')).toThrow(
      new ConfigError('VAR: masters[0].quorum: must be a positive integer (got 0)'),
    );
  });

  it('refuses invalid JSON as loadConfig does, under the name it is given, never quoting the text', () => {
    const text = `{ "masters": [ { "auth": { "password": ${SECRET} } } ] }`;
    const path = file('same.json', text);
    const fromFile = (() => {
      try {
        loadConfig(path);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    })();
    expect(fromFile.startsWith(`cannot parse config file ${path}: `)).toBe(true);
    expect(() => parseConfigText(text, 'VAR')).toThrow(new ConfigError(`VAR: ${fromFile.slice(`cannot parse config file ${path}: `.length)}`));
    expect(() => parseConfigText(text, 'VAR')).not.toThrow(SECRET);
  });
});

describe('configDocument: the validated config written back', () => {
  it('leaves the defaults out, so a document as written comes back as written', () => {
    const written = {
      probes: 3,
      masters: [
        master(),
        master({ name: 'b', downAfterMs: 5000, auth: { username: 'u', secretArn: SECRET_ARN }, knownReplicas: [{ host: '127.0.0.2', port: 6380 }] }),
        master({ name: 'c', maxPromotionLagBytes: 4096, zones: { '10.0.1.0/24': 'a' }, preferredZones: ['a'], avoidSameZoneAsOldMaster: true }),
      ],
    };
    expect(configDocument(parseConfig(written, 'c', { deployed: true }))).toEqual(written);
    expect(configDocument(parseConfig({ masters: [master()] }), { probes: false })).toEqual({ masters: [master()] });
  });

  it('parses back into the same config, every setting kept', () => {
    const config = parseConfig(
      {
        probes: 5,
        masters: [
          master({ quorum: 3, failoverTimeoutMs: 9000, parallelSyncs: 2, waitStartSeconds: 1, masterRebootDownAfterMs: 4000, fencing: true, witnesses: true }),
          master({ name: 'b', downAfterMs: 2000, fencing: { minReplicas: 2, maxLagSeconds: 9 }, auth: { secretArn: SECRET_ARN } }),
          master({ name: 'c', fencing: { maxLagSeconds: 31 } }),
        ],
      },
      'c',
      { deployed: true },
    );
    expect(parseConfig(configDocument(config), 'again', { deployed: true })).toEqual(config);
  });

  it('never holds a password: only a deployed config has a document', () => {
    const config = parseConfig({ masters: [master({ auth: { password: SECRET } })] });
    expect(() => configDocument(config)).toThrow(new ConfigError('masters[0].auth: a config document holds secrets, never a password'));
    expect(() => configDocument(config)).not.toThrow(SECRET);
  });
});
