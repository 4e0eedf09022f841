import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The deployed stack on the simulation (dozens of function processes at each deployment) runs on
 * its own after everything else: side by side, it and the tightly timed integration suites
 * (failover-timeout 2 s) starve each other of the two cores.
 */
const DEPLOYED = ['test/aws/**/*.test.ts', 'test/bench/deployed.test.ts'];

export default defineConfig({
  test: {
    // Integration tests start real redis-server processes; give them room but keep the suite short.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Two cores: more workers only make real-Redis timing noisier.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...DEPLOYED], sequence: { groupOrder: 0 } } },
      // One simulation at a time: two deployments at once on two cores starve each other's handovers.
      { extends: true, test: { name: 'deployed', include: DEPLOYED, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
