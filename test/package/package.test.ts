/**
 * The package as a CDK user gets it: `npm pack`, the tarball installed into a scratch directory
 * with nothing of this checkout (no esbuild, tsx, dynalite or aws-local-stepfunctions), then two
 * apps of the user's: the example app (examples/existing-vpc: TypeScript ESM, compiled by tsc and
 * run by node) and a classic CommonJS app run by ts-node, each synthesized offline with cdk-nag's
 * AwsSolutions and Serverless packs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../lib/steps.ts';
import { literalNames } from '../lib/support.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What the scratch directory installs beside the tarball, at this checkout's versions (npm's cache has them after `npm ci`). */
const CONSUMER_DEPENDENCIES = ['aws-cdk-lib', 'constructs', 'cdk-nag', 'typescript', 'ts-node', '@types/node'];
/** What a construct consumer must not get: the build's and the local runtime's tools. */
const CHECKOUT_ONLY = ['esbuild', 'tsx', 'dynalite', 'aws-local-stepfunctions', 'vitest'];
const VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  vpcCidr: '10.20.0.0/16',
  availabilityZones: 'eu-west-1a,eu-west-1b,eu-west-1c',
  privateSubnetIds: 'subnet-0aaa1111aaaa1111a,subnet-0bbb2222bbbb2222b,subnet-0ccc3333cccc3333c',
  privateSubnetRouteTableIds: 'rtb-0aaa1111aaaa1111a,rtb-0bbb2222bbbb2222b,rtb-0ccc3333cccc3333c',
  redisSecurityGroupId: 'sg-0123456789abcdef0',
};

interface Packed {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{ readonly pluginName: string; readonly conclusion: string; readonly violations: readonly unknown[] }>;
}

let work: string;
let packed: Packed;

const versionOf = (name: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const installed = (...parts: string[]) => path.join(work, 'node_modules', ...parts);

/** Runs a consumer app, its context given as `cdk synth -c` would; throws with its output when it fails. */
function synth(dir: string, command: readonly string[], context: Record<string, string> = {}): string {
  const outdir = path.join(dir, 'cdk.out');
  const run = spawnSync(process.execPath, [...command], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
  });
  if (run.status !== 0) throw new Error(`${command.join(' ')} in ${dir} exited ${run.status}:\n${run.stdout}\n${run.stderr}`);
  return outdir;
}

function validationReport(outdir: string): ValidationReport {
  return JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

function template(outdir: string, stack: string): { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> } {
  return JSON.parse(readFileSync(path.join(outdir, `${stack}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'redis-failover-consumer-'));
  // prepack builds dist/ (scripts/build.ts) first, as publishing would.
  packed = (
    JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    ) as Packed[]
  )[0]!;
  const dependencies = Object.fromEntries([['redis-failover', `file:./${packed.filename}`], ...CONSUMER_DEPENDENCIES.map((name) => [name, versionOf(name)])]);
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ private: true, dependencies }, null, 2));
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the package', () => {
  it('holds the compiled code, its declarations, each handler bundled, LICENSE and README: nothing of the checkout', () => {
    const files = packed.files.map((f) => f.path);
    const outside = files.filter((f) => !f.startsWith('dist/') && !['bin/redis-failover.mjs', 'LICENSE', 'README.md', 'package.json'].includes(f));
    expect(outside).toEqual([]);
    expect(files.filter((f) => /^dist\/(test|bench|sim|scripts)\//.test(f) || f.endsWith('.rdb') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
    for (const handler of HANDLERS) expect(files).toContain(`dist/functions/${handler}/index.js`);
    expect(files).toEqual(expect.arrayContaining(['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/cli/main.js']));
    const manifest = JSON.parse(readFileSync(installed('redis-failover', 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.peerDependencies)).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs']));
    expect(Object.keys(manifest.dependencies)).not.toContain('aws-cdk-lib');
  });

  it('installs with no native module, and without esbuild, tsx or the local runtime’s engines', () => {
    const native: string[] = [];
    for (const file of readdirSync(installed(), { recursive: true, encoding: 'utf8' })) {
      if (file.endsWith('.node') || file.endsWith('binding.gyp')) native.push(file);
    }
    expect(native).toEqual([]);
    expect(CHECKOUT_ONLY.filter((name) => existsSync(installed(name)))).toEqual([]);
  });

  it('runs its command line: --help, and a one-line answer for what needs a checkout or the local engines', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [installed('redis-failover', 'bin', 'redis-failover.mjs'), ...args], { cwd: work, encoding: 'utf8' });
    const help = cli('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage:');
    const local = cli('local', '--config', 'cluster.json');
    expect(local.status).toBe(2);
    expect(local.stderr.trim()).toBe(
      'redis-failover: the local runtime needs dynalite and aws-local-stepfunctions, which installing the construct leaves out: npm install dynalite aws-local-stepfunctions',
    );
    const bench = cli('bench');
    expect(bench.status).toBe(2);
    expect(bench.stderr).toContain('bench runs from a checkout of the repository');
  });
});

describe('the example app (examples/existing-vpc), TypeScript ESM', () => {
  it('compiles against the package’s declarations and synthesizes offline: the functions’ code is the package’s bundles, cdk-nag finds nothing', () => {
    const app = path.join(work, 'esm');
    mkdirSync(app);
    for (const entry of ['bin', 'lib', 'tsconfig.json', 'cdk.json'])
      cpSync(path.join(ROOT, 'examples', 'existing-vpc', entry), path.join(app, entry), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
    execFileSync(process.execPath, [installed('typescript', 'bin', 'tsc'), '-p', app], { stdio: ['ignore', 'pipe', 'pipe'] });
    const outdir = synth(app, ['build/bin/app.js'], VPC);

    const resources = Object.values(template(outdir, 'Cache').Resources);
    expect(resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')).toHaveLength(1);
    // The user's function is inline; every other is the construct's, its code a bundle the package carries.
    const bundles = new Set(HANDLERS.map((handler) => readFileSync(installed('redis-failover', 'dist', 'functions', handler, 'index.js'), 'utf8')));
    const assets = resources.filter((r) => r.Type === 'AWS::Lambda::Function' && (r.Properties!.Code as { S3Key?: string }).S3Key !== undefined);
    const code = assets.map((fn) =>
      readFileSync(path.join(outdir, `asset.${(fn.Properties!.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`, 'index.js'), 'utf8'),
    );
    expect(code.every((c) => bundles.has(c))).toBe(true);
    // Each handler once (the three probes share theirs).
    expect(new Set(code).size).toBe(HANDLERS.length);
    // Its Redis security group lets the functions in.
    expect(resources.filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties?.GroupId)).toEqual([VPC.redisSecurityGroupId]);
    expect(
      validationReport(outdir)
        .pluginReports.filter((p) => p.pluginName !== 'CloudFormation Validate')
        .map((p) => [p.pluginName, p.conclusion, p.violations.length]),
    ).toEqual([
      ['AwsSolutions', 'success', 0],
      ['Serverless', 'success', 0],
    ]);
  });
});

describe('a classic CommonJS app run by ts-node', () => {
  it('requires the package, and two stacks of the construct synthesize with no physical name in common', () => {
    const app = path.join(work, 'cjs');
    mkdirSync(path.join(app, 'bin'), { recursive: true });
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ private: true, type: 'commonjs' }));
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2020',
          module: 'commonjs',
          moduleResolution: 'node',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node'],
        },
      }),
    );
    writeFileSync(
      path.join(app, 'bin', 'app.ts'),
      [
        "import { App, Stack, Validations } from 'aws-cdk-lib';",
        "import * as ec2 from 'aws-cdk-lib/aws-ec2';",
        "import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';",
        "import { RedisFailover, type RedisFailoverProps } from 'redis-failover';",
        '',
        'const app = new App();',
        'for (const [id, host] of [["Cache", "10.20.1.10"], ["Sessions", "10.20.2.10"]] as const) {',
        '  const stack = new Stack(app, id, { env: { account: "111122223333", region: "eu-west-1" } });',
        `  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: '${VPC.vpcId}', vpcCidrBlock: '${VPC.vpcCidr}', availabilityZones: '${VPC.availabilityZones}'.split(','), privateSubnetIds: '${VPC.privateSubnetIds}'.split(',') });`,
        '  const props: RedisFailoverProps = { vpc, masters: [{ name: id.toLowerCase(), host, port: 6379, quorum: 2 }] };',
        "  new RedisFailover(stack, 'Failover', props);",
        '}',
        'Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));',
        'app.synth();',
      ].join('\n'),
    );
    // ts-node type-checks the app against the package's declarations, then Node requires the package (ESM) from CommonJS.
    const outdir = synth(app, [installed('ts-node', 'dist', 'bin.js'), 'bin/app.ts']);

    const names = ['Cache', 'Sessions'].flatMap((stack) => literalNames(template(outdir, stack).Resources));
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
    expect(
      validationReport(outdir)
        .pluginReports.filter((p) => p.pluginName !== 'CloudFormation Validate')
        .every((p) => p.conclusion === 'success' && p.violations.length === 0),
    ).toBe(true);
  });
});

// Last: it installs the local engines into the scratch directory, which the checks above must not see.
describe('the installed command line with the local engines added', () => {
  it('runs the demo: a kill -9 of the master, the failover, every key on the new master', () => {
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `dynalite@${versionOf('dynalite')}`,
        `aws-local-stepfunctions@${versionOf('aws-local-stepfunctions')}`,
      ],
      { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const demo = spawnSync(process.execPath, [installed('redis-failover', 'bin', 'redis-failover.mjs'), 'demo', '--no-timestamps'], {
      cwd: work,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/\+switch-master mymaster /);
    expect(demo.stdout).toContain('data: 1000/1000 keys present on the new master');
  }, 120_000);
});
