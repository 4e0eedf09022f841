#!/usr/bin/env node
// A checkout runs the TypeScript sources directly (tsx, a devDependency), so it works right after
// `npm ci` with no build step; the installed package runs its compiled code (dist/, `npm run build`).
import { existsSync } from 'node:fs';

// The local runtime only talks to dynalite on loopback; the SDK's Node 20 deprecation notice would only be noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const sources = new URL('../cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import('tsx/esm/api');
  register();
  main = await import(sources.href);
} else {
  main = await import('../dist/cli/main.js');
}
await main.runCli(process.argv.slice(2));
