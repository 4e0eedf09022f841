/**
 * `npm run build`: the package in dist/. JavaScript and declarations from the sources a construct
 * consumer or a CLI user runs (tsconfig.build.json); each Lambda handler bundled as a checkout
 * bundles it at synth (lib/function-defaults.ts LAMBDA_BUNDLING), so the installed construct
 * needs no esbuild; and the two files the local runtime reads beside its code.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLING } from '../lib/function-defaults.ts';
import { HANDLERS, handlerPath } from '../lib/steps.ts';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');
const started = Date.now();

rmSync(dist, { recursive: true, force: true });
process.stderr.write('# compiling (tsc -p tsconfig.build.json)\n');
execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

// tsc rewrites the `.ts` of relative imports in the JavaScript it emits, not in declarations: a consumer's compiler would refuse them (TS5097).
for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.d.ts'))) {
  const at = path.join(dist, file);
  writeFileSync(at, readFileSync(at, 'utf8').replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2'));
}

process.stderr.write(`# bundling ${HANDLERS.length} Lambda handlers (esbuild)\n`);
await Promise.all(
  HANDLERS.map((handler) =>
    build({
      entryPoints: [handlerPath(handler)],
      outfile: path.join(dist, 'functions', handler, 'index.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: LAMBDA_BUNDLING.target,
      minify: LAMBDA_BUNDLING.minify,
      sourcemap: LAMBDA_BUNDLING.sourceMap,
      external: LAMBDA_BUNDLING.externalModules,
      logLevel: 'error',
    }),
  ),
);

// Read at run time relative to the code: the feature flags the workflow is synthesized with (local/workflow-definition.ts), the example config (lib/config-file.ts).
for (const file of ['cdk.json', 'examples/config.json']) {
  mkdirSync(path.dirname(path.join(dist, file)), { recursive: true });
  cpSync(path.join(root, file), path.join(dist, file));
}
process.stderr.write(`# dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
