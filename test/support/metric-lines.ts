import { afterAll, beforeAll, vi } from 'vitest';

/**
 * Takes what the functions write to stdout for the whole file, as Lambda hands it to CloudWatch:
 * the embedded-metric-format lines, kept for the tests to read (and out of the test run's output).
 */
export function captureMetricLines(): { readonly lines: string[] } {
  const captured = { lines: [] as string[] };
  beforeAll(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      captured.lines.push(
        ...String(text)
          .split('\n')
          .filter((line) => line.startsWith('{"_aws"')),
      );
      return true;
    });
  });
  afterAll(() => {
    vi.mocked(process.stdout.write).mockRestore();
  });
  return captured;
}
