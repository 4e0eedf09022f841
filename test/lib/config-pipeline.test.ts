/**
 * One config pipeline (lambdas/core/config.ts): the config file, the deploy file, the construct's props
 * and the functions' REDIS_FAILOVER_CONFIG are parsed by the same parser, so the same document gets the
 * same verdict from each, under its own source's name; the construct's `probes`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest';
import { loadConfig, parseConfig, type MasterDocument } from '../../lambdas/core/config.ts';
import { RedisFailoverPropsError } from '../../lambdas/core/errors.ts';
import { configFromEnv } from '../../lambdas/runtime/aws/orchestrator.ts';
import { readDeployConfig } from '../../lib/config-file.ts';
import { RedisFailoverStack } from '../../lib/failover-stack.ts';
import type { RedisMasterProps } from '../../lib/masters.ts';
import { RedisFailover, type RedisFailoverProps } from '../../lib/redis-failover.ts';
import { Synthesized, testApp } from './support.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'config-pipeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis/sessions-AbCdEf';
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const master = (overrides: Record<string, unknown> = {}) => ({ name: 'cache', host: '10.20.1.10', port: 6379, quorum: 2, ...overrides });

function vpcIn(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0abc',
    vpcCidrBlock: '10.20.0.0/16',
    availabilityZones: ZONES,
    privateSubnetIds: ['subnet-0a', 'subnet-0b', 'subnet-0c'],
  });
}

/** The message each source refuses `document` with, its own name cut off the front. */
function verdicts(document: { probes: number; masters: readonly unknown[] }): Record<string, string> {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(document));
  const stack = new Stack(testApp(), 'Test');
  const attempts: Record<string, [prefix: string, run: () => unknown]> = {
    'the config file (local)': [file, () => loadConfig(file)],
    'the deploy file': [file, () => readDeployConfig(file)],
    "the construct's props": [
      'RedisFailover Test/Failover',
      () => new RedisFailover(stack, 'Failover', { vpc: vpcIn(stack), masters: document.masters as RedisMasterProps[] }),
    ],
    "the functions' environment": ['REDIS_FAILOVER_CONFIG', () => configFromEnv({ REDIS_FAILOVER_CONFIG: JSON.stringify(document) })],
  };
  return Object.fromEntries(
    Object.entries(attempts).map(([source, [prefix, run]]) => {
      try {
        run();
      } catch (error) {
        const message = (error as Error).message;
        expect(message.startsWith(`${prefix}: `), `${source}: ${message}`).toBe(true);
        return [source, message.slice(prefix.length + 2)];
      }
      return [source, 'accepted'];
    }),
  );
}

describe('the same document, from each source', () => {
  it.each([
    [
      'a name Sentinel messages cannot carry',
      { probes: 3, masters: [master({ name: 'my master' })] },
      'masters[0].name: must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got "my master")',
    ],
    ['an unknown key', { probes: 3, masters: [master({ sentinel: true })] }, 'masters[0]: unknown key "sentinel"'],
    ['a duplicate name', { probes: 3, masters: [master(), master()] }, 'masters[1].name: duplicate master name "cache" (also masters[0].name)'],
    ['a bad port', { probes: 3, masters: [master({ port: 70000 })] }, 'masters[0].port: must be an integer from 1 to 65535 (got 70000)'],
    ['no master', { probes: 3, masters: [] }, 'masters: must list at least one master'],
  ])('%s: one message', (_, document, message) => {
    const all = verdicts(document);
    expect(new Set(Object.values(all))).toEqual(new Set([message]));
  });

  it('a secret: accepted where Secrets Manager can be read (the deployment, its functions), refused by the local runtime', () => {
    expect(verdicts({ probes: 3, masters: [master({ auth: { secretArn: SECRET } })] })).toEqual({
      'the config file (local)':
        'masters[0].auth.secretArn: the local runtime cannot read Secrets Manager (only the deployed Lambda functions do): give password or passwordEnv',
      'the deploy file': 'accepted',
      "the construct's props": 'accepted',
      "the functions' environment": 'accepted',
    });
  });

  it("the construct's refusals are RedisFailoverPropsErrors, the parser's error their cause", () => {
    const stack = new Stack(testApp(), 'Test');
    let thrown: unknown;
    try {
      new RedisFailover(stack, 'Failover', { vpc: vpcIn(stack), masters: [master({ port: 0 })] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RedisFailoverPropsError);
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe('RedisFailover Test/Failover: masters[0].port: must be an integer from 1 to 65535 (got 0)');
  });
});

describe('what the functions receive', () => {
  it('is the validated config written back: the functions parse it into the config the construct validated', () => {
    const masters = [
      master({ fencing: true, witnesses: true, masterRebootDownAfterMs: 5000 }),
      master({
        name: 'sessions',
        port: 6380,
        downAfterMs: 5000,
        auth: { username: 'failover', secretArn: SECRET },
        knownReplicas: [{ host: '10.20.3.10', port: 6381 }],
      }),
    ] as RedisMasterProps[];
    const stack = new Stack(testApp(), 'Test');
    const failover = new RedisFailover(stack, 'Failover', { vpc: vpcIn(stack), masters });
    const s = new Synthesized(stack);
    const env = (s.props(s.idOf(failover.probeFunctions[0]!)).Environment as { Variables: Record<string, string> }).Variables;
    expect(configFromEnv(env)).toEqual(failover.config);
    expect(JSON.parse(env.REDIS_FAILOVER_CONFIG!)).toEqual({ probes: 3, masters });
    expect(failover.config).toEqual(parseConfig({ probes: 3, masters }, 'the same', { deployed: true }));
  });
});

describe("the construct's probes", () => {
  const attempt = (props: Partial<RedisFailoverProps>): RedisFailover | string => {
    const stack = new Stack(testApp(), 'Test');
    try {
      return new RedisFailover(stack, 'Failover', { vpc: vpcIn(stack), masters: [master()], ...props });
    } catch (error) {
      expect(error).toBeInstanceOf(RedisFailoverPropsError);
      return (error as Error).message;
    }
  };

  it('is one per availability zone; a number given must be that one, else synth fails naming it', () => {
    expect((attempt({}) as RedisFailover).config.probes).toBe(3);
    expect((attempt({ probes: 3 }) as RedisFailover).probeFunctions).toHaveLength(3);
    expect(attempt({ probes: 2 })).toBe('RedisFailover Test/Failover: probes: is 2 but vpcSubnets has 3 availability zones: one probe runs per zone');
    expect(attempt({ probes: 5 })).toBe('RedisFailover Test/Failover: probes: is 5 but vpcSubnets has 3 availability zones: one probe runs per zone');
  });

  it("reaches it from the stack's config: the demo VPC has that many zones, an existing VPC is refused by the stack first", () => {
    const two = new RedisFailoverStack(testApp(), 'Two', { config: { probes: 2, masters: [master()] } });
    expect(two.failover.config.probes).toBe(2);
    expect(
      () =>
        new RedisFailoverStack(testApp(), 'Existing', {
          existingVpc: { vpcId: 'vpc-0abc', vpcCidrBlock: '10.20.0.0/16', privateSubnetIds: ['subnet-0a', 'subnet-0b'], availabilityZones: ['a', 'b'] },
          config: { probes: 3, masters: [master()] },
        }),
    ).toThrow('RedisFailoverStack Existing: config.probes: is 3 but 2 subnets were given: one probe runs per subnet');
  });
});

describe('the construct props and the config document', () => {
  it('are the same shape: every prop a config file may give, and nothing else (checked by tsc)', () => {
    // Each way assignable (arrays read-only on the props' side): a prop missing, extra or typed otherwise fails the type check.
    const asProps = (document: MasterDocument): RedisMasterProps => document;
    const asDocument = (props: RedisMasterProps): Readonly<MasterDocument> => ({
      ...props,
      knownReplicas: props.knownReplicas?.map((r) => ({ ...r })),
      preferredZones: props.preferredZones && [...props.preferredZones],
    });
    expectTypeOf(asProps).returns.toEqualTypeOf<RedisMasterProps>();
    expectTypeOf(asDocument).returns.toEqualTypeOf<Readonly<MasterDocument>>();
    expectTypeOf<keyof RedisMasterProps>().toEqualTypeOf<keyof MasterDocument>();
  });
});
