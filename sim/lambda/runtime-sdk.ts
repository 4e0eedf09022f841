/**
 * The AWS SDK a Lambda Node.js runtime provides. The bundles leave `@aws-sdk/*` out (lib/
 * function-defaults.ts) because the runtime has it; everything else must be in the bundle. So the
 * simulated runtime's NODE_PATH holds the SDK packages and what they depend on, and nothing else
 * of the project's node_modules: a bundle that forgot a dependency fails here as on AWS.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIME_DIR } from './runtime-node.ts';

const PROJECT_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

let built: string | undefined;

/**
 * A node_modules folder of links: every installed `@aws-sdk/*` package and its dependencies,
 * transitively. Built once per set of packages under .tmp/lambda-runtime, by a rename, so
 * simulations in parallel test workers share it and never see it half made.
 */
export function runtimeSdkPath(): string {
  if (built) return built;
  const packages = sdkClosure();
  const id = createHash('sha256')
    .update(packages.map((p) => `${p.name}@${p.version}`).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const root = path.join(RUNTIME_DIR, `sdk-${id}`, 'node_modules');
  if (!existsSync(root)) {
    const staging = path.join(RUNTIME_DIR, `sdk-${id}.${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    for (const { name } of packages) {
      const link = path.join(staging, 'node_modules', name);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(PROJECT_MODULES, name), link, 'dir');
    }
    try {
      renameSync(staging, path.dirname(root));
    } catch (error) {
      // Another process got there first: its folder is the same.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(root)) throw error;
    }
  }
  built = root;
  return root;
}

function sdkClosure(): Array<{ name: string; version: string }> {
  const scope = path.join(PROJECT_MODULES, '@aws-sdk');
  const pending = readdirSync(scope).map((name) => `@aws-sdk/${name}`);
  const seen = new Map<string, string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name)) continue;
    const manifest = path.join(PROJECT_MODULES, name, 'package.json');
    // A dependency npm nested under its dependent is found by Node through that dependent's own folder.
    if (!existsSync(manifest)) continue;
    const { version = '', dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string; dependencies?: Record<string, string> };
    seen.set(name, version);
    pending.push(...Object.keys(dependencies));
  }
  return [...seen].map(([name, version]) => ({ name, version })).sort((a, b) => a.name.localeCompare(b.name));
}
