import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The deployed stack on the simulation (dozens of function processes at each deployment) runs on
 * its own after everything else: side by side, it and the tightly timed integration suites
 * (failover-timeout 2 s) starve each other of the two cores.
 */
const DEPLOYED = ['test/aws/**/*.test.ts', 'test/bench/deployed.test.ts'];

/** The files whose subject is the synthesized template itself. */
const STACK = ['test/lib/**/*.test.ts', 'test/local/workflow-definition.test.ts'];

/**
 * CDK's built-in CloudFormation validation is skipped wherever nothing reads its report (its
 * findings are warnings unless a feature flag says otherwise): it doubles the CPU of every synth
 * (its WebAssembly engine). The one reader is cdk-nag's test (test/lib/support.ts runNag turns it
 * back on around its synth), which synthesizes every shape of the stack and wants no finding of it
 * either. Each command line process and deployment agent a test starts inherits this environment.
 */
const NO_CFN_VALIDATION = { CDK_VALIDATION: 'false' };

/**
 * The files that take longest (a 90 s partition, the command line's processes, real clients) start
 * first, so the two workers end together instead of one running a long file alone at the end.
 */
const LONGEST_FIRST = [
  'test/integration/partition.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/sentinel-clients.test.ts',
  'test/integration/fault-matrix.test.ts',
  'test/integration/scenarios.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = LONGEST_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    const sorted = await super.sort(files);
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    // Integration tests start real redis-server processes; give them room but keep the suite short.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Two cores: more workers only make real-Redis timing noisier.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      // Same group order: 'stack' and 'suite' share the two workers.
      { extends: true, test: { name: 'stack', include: STACK, env: NO_CFN_VALIDATION, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...DEPLOYED, ...STACK],
          env: NO_CFN_VALIDATION,
          sequence: { groupOrder: 0 },
        },
      },
      // One simulation at a time: two deployments at once on two cores starve each other's handovers.
      { extends: true, test: { name: 'deployed', include: DEPLOYED, fileParallelism: false, env: NO_CFN_VALIDATION, sequence: { groupOrder: 1 } } },
    ],
  },
});
