#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so a checkout works right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api';

register();
// The local runtime only talks to dynalite on loopback; the SDK's Node 20 deprecation notice would only be noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { runCli } = await import('../cli/main.ts');
await runCli(process.argv.slice(2));
