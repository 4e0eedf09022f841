import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real redis-server processes; give them room but keep the suite short.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Two cores: more workers only make real-Redis timing noisier.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
