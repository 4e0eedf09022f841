/**
 * The one way the stack makes a function: the runtime and architecture every function shares,
 * and its code. The installed package carries each handler bundled at build time
 * (`npm run build`, scripts/build.ts), so a construct consumer needs no esbuild, tsx or Docker;
 * a checkout has no bundles and bundles the TypeScript source at synth with the local esbuild.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { LAMBDA_ARCHITECTURE, LAMBDA_BUNDLING, LAMBDA_RUNTIME } from './function-defaults.ts';
import { handlerPath } from './steps.ts';

/** dist/functions/ next to dist/lib/ in the package; absent in a checkout. */
const BUNDLES_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

export interface HandlerFunctionProps extends Omit<lambda.FunctionProps, 'code' | 'handler' | 'runtime' | 'architecture'> {
  /** The handler file of lambdas/, without extension (`probe`, `select-slave`). */
  readonly handlerFile: string;
}

/** Where a bundled handler lives, whether or not this copy has it. */
function bundleDir(handlerFile: string): string {
  return `${BUNDLES_DIR}${handlerFile}`;
}

export function handlerFunction(scope: Construct, id: string, { handlerFile, ...props }: HandlerFunctionProps): lambda.Function {
  const common = { runtime: LAMBDA_RUNTIME, architecture: LAMBDA_ARCHITECTURE, ...props };
  const bundle = bundleDir(handlerFile);
  if (existsSync(bundle)) return new lambda.Function(scope, id, { ...common, code: lambda.Code.fromAsset(bundle), handler: 'index.handler' });
  return new NodejsFunction(scope, id, { ...common, entry: handlerPath(handlerFile), handler: 'handler', bundling: LAMBDA_BUNDLING });
}
