/**
 * The AWS SDK a Lambda Node.js runtime provides. The bundles leave `@aws-sdk/*` out (lib/
 * function-defaults.ts) because the runtime has it; everything else must be in the bundle. So the
 * simulated runtime's NODE_PATH holds the SDK packages and what they depend on, and nothing else
 * of the project's node_modules: a bundle that forgot a dependency fails here as on AWS.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

let built: string | undefined;

/** A node_modules folder of links: every installed `@aws-sdk/*` package and its dependencies, transitively. */
export function runtimeSdkPath(): string {
  if (built) return built;
  const packages = sdkClosure();
  // One folder per process: simulations in parallel test workers never share (or race on) it.
  const base = mkdtempSync(path.join(tmpdir(), 'redis-failover-lambda-sdk-'));
  process.once('exit', () => rmSync(base, { recursive: true, force: true }));
  const root = path.join(base, 'node_modules');
  for (const name of packages) {
    const link = path.join(root, name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.join(PROJECT_MODULES, name), link, 'dir');
  }
  built = root;
  return root;
}

function sdkClosure(): string[] {
  const scope = path.join(PROJECT_MODULES, '@aws-sdk');
  const pending = readdirSync(scope).map((name) => `@aws-sdk/${name}`);
  const seen = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    const manifest = path.join(PROJECT_MODULES, name, 'package.json');
    // A dependency npm nested under its dependent is found by Node through that dependent's own folder.
    if (!existsSync(manifest)) continue;
    seen.add(name);
    const { dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
    pending.push(...Object.keys(dependencies));
  }
  return [...seen].sort();
}
