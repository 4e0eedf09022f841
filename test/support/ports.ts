import { PortAllocator } from '../../local/ports.ts';

/**
 * Each vitest worker owns 400 ports, so test files running in parallel never collide.
 * VITEST_POOL_ID is 1-based and unique among the workers alive at one time.
 */
export function testPorts(): PortAllocator {
  const pool = Number(process.env.VITEST_POOL_ID ?? '1');
  const first = 21000 + (pool % 50) * 400;
  return new PortAllocator(first, first + 399);
}
