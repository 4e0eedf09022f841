/**
 * The Invoke API stand-in through the real `@aws-sdk/client-lambda`: what a function calling
 * another sees (payloads, function errors as 200 with FunctionError, ResourceNotFoundException,
 * throttles, Event and DryRun), over a LambdaService running one small handler.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InvokeCommand, LambdaClient, type InvokeCommandInput } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../lambdas/core/wait.ts';
import { LAMBDA_RUNTIME } from '../../../lib/function-defaults.ts';
import type { FunctionSpec } from '../../../sim/lambda/function-spec.ts';
import { runtimeSdkPath } from '../../../sim/lambda/runtime-sdk.ts';
import { LambdaService } from '../../../sim/lambda/service.ts';
import { isPortFree } from '../../../local/ports.ts';
import { LambdaApiStandIn } from '../../../sim/services/lambda-api.ts';

/** Echoes the event; throws or sleeps when it says so. */
const HANDLER = `
exports.handler = async (event, context) => {
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  if (event.nothing) return undefined;
  if (event.throwName) { const error = new Error(event.message || 'failed'); error.name = event.throwName; throw error; }
  return { echo: event, fn: context.functionName };
};
`;

const ACCOUNT_ARN = 'arn:aws:lambda:local-1:000000000000:function';

let codeDir: string;
let lambda: LambdaService;
let api: LambdaApiStandIn;
let client: LambdaClient;

function spec(name: string, over: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    logicalId: name,
    name,
    arn: `${ACCOUNT_ARN}:${name}`,
    runtime: LAMBDA_RUNTIME.name,
    handler: 'index.handler',
    codeDir,
    timeoutMs: 5000,
    memoryMb: 128,
    environment: {},
    reservedConcurrency: null,
    async: { maxRetryAttempts: 0, maxEventAgeMs: 60_000 },
    aliases: [],
    ...over,
  };
}

beforeAll(async () => {
  // Outside the project: a package.json with "type": "module" above it would make the bundle ESM.
  codeDir = mkdtempSync(path.join(tmpdir(), 'redis-failover-lambda-api-'));
  writeFileSync(path.join(codeDir, 'index.js'), HANDLER);
  lambda = new LambdaService(
    [spec('echo', { aliases: [{ name: 'live', arn: `${ACCOUNT_ARN}:echo:live`, provisionedConcurrency: 0 }] }), spec('solo', { reservedConcurrency: 1 })],
    {
      environment: (s) => ({
        AWS_LAMBDA_FUNCTION_NAME: s.name,
        _HANDLER: s.handler,
        LAMBDA_TASK_ROOT: s.codeDir,
        NODE_PATH: runtimeSdkPath(),
        PATH: '/usr/bin:/bin',
      }),
    },
  );
  api = await LambdaApiStandIn.start({ lambda });
  client = new LambdaClient({ endpoint: api.url, region: 'local-1', credentials: { accessKeyId: 'AKIDCALLER', secretAccessKey: 'x' }, maxAttempts: 1 });
});

afterAll(async () => {
  client?.destroy();
  await api?.stop();
  await lambda?.stop();
  rmSync(codeDir, { recursive: true, force: true });
});

async function invoke(input: Omit<InvokeCommandInput, 'Payload'> & { event?: unknown }) {
  const { event, ...rest } = input;
  const out = await client.send(new InvokeCommand({ ...rest, ...(event !== undefined && { Payload: JSON.stringify(event) }) }));
  const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  return { ...out, payload: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

describe('LambdaApiStandIn', () => {
  it('answers a RequestResponse invocation with the payload, by name, full ARN, partial ARN and qualifier', async () => {
    const since = api.calls.length;
    for (const FunctionName of ['echo', `${ACCOUNT_ARN}:echo`, '000000000000:function:echo', `${ACCOUNT_ARN}:echo:live`, 'echo:$LATEST']) {
      const out = await invoke({ FunctionName, event: { n: 1, s: 'ü' } });
      expect(out).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST', payload: { echo: { n: 1, s: 'ü' }, fn: 'echo' } });
      expect(out.FunctionError).toBeUndefined();
    }
    const viaQuery = await invoke({ FunctionName: 'echo', Qualifier: 'live', event: [1, 2] });
    expect(viaQuery.payload).toEqual({ echo: [1, 2], fn: 'echo' });
    expect((await invoke({ FunctionName: 'echo', event: { nothing: true } })).payload).toBeNull();
    expect(api.calls.slice(since).map((c) => [c.operation, c.caller, c.target])).toEqual([
      ['Invoke', 'AKIDCALLER', 'echo'],
      ['Invoke', 'AKIDCALLER', `${ACCOUNT_ARN}:echo`],
      ['Invoke', 'AKIDCALLER', '000000000000:function:echo'],
      ['Invoke', 'AKIDCALLER', `${ACCOUNT_ARN}:echo:live`],
      ['Invoke', 'AKIDCALLER', 'echo:$LATEST'],
      ['Invoke', 'AKIDCALLER', 'echo'],
      ['Invoke', 'AKIDCALLER', 'echo'],
    ]);
  });

  it('answers a function error as 200 with FunctionError Unhandled and the error object', async () => {
    const out = await invoke({ FunctionName: 'echo', event: { throwName: 'NoGoodSlave', message: 'no replica' } });
    expect(out).toMatchObject({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      payload: { errorType: 'NoGoodSlave', errorMessage: 'no replica', trace: expect.any(Array) },
    });
  });

  it('raises ResourceNotFoundException naming the ARN for an unknown function or qualifier', async () => {
    await expect(invoke({ FunctionName: 'nope', event: {} })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: ${ACCOUNT_ARN}:nope`,
      $metadata: { httpStatusCode: 404 },
    });
    await expect(invoke({ FunctionName: 'echo', Qualifier: 'dead', event: {} })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: `Function not found: ${ACCOUNT_ARN}:echo:dead`,
    });
    await expect(invoke({ FunctionName: 'arn:aws:lambda:local-1:111111111111:function:echo' })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('queues an Event invocation (202, empty body) and the function runs; DryRun only checks (204)', async () => {
    const out = await invoke({ FunctionName: 'echo', InvocationType: 'Event', event: { queued: true } });
    expect(out.StatusCode).toBe(202);
    expect(out.payload).toBeUndefined();
    const ran = await waitFor(() => lambda.invocations.find((r) => r.type === 'async'), { timeoutMs: 10_000, intervalMs: 10, what: 'the queued event to run' });
    expect(ran).toMatchObject({ function: 'echo', event: { queued: true }, outcome: 'ok' });

    const before = lambda.invocations.length;
    const dry = await invoke({ FunctionName: 'echo', InvocationType: 'DryRun', event: {} });
    expect(dry.StatusCode).toBe(204);
    expect(lambda.invocations.length).toBe(before);
    await expect(invoke({ FunctionName: 'nope', InvocationType: 'DryRun' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('raises TooManyRequestsException (429) when the reserved concurrency is in use', async () => {
    const busy = invoke({ FunctionName: 'solo', event: { sleepMs: 800 } });
    await waitFor(() => lambda.containers('solo').some((c) => c.busy), { timeoutMs: 10_000, intervalMs: 10, what: 'solo to be busy' });
    await expect(invoke({ FunctionName: 'solo', event: {} })).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      $metadata: { httpStatusCode: 429 },
    });
    expect((await busy).payload).toMatchObject({ fn: 'solo' });
  });

  it('refuses what it does not simulate, and a payload that is not JSON', async () => {
    await expect(client.send(new InvokeCommand({ FunctionName: 'echo', Payload: '{not json' }))).rejects.toMatchObject({
      name: 'InvalidRequestContentException',
    });
    const res = await fetch(`${api.url}/2015-03-31/functions`, { method: 'GET' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(api.calls.at(-1)).toMatchObject({ operation: 'GET /2015-03-31/functions', caller: null, target: null });
  });

  it('stop() closes its sockets, a kept-alive one included, and frees the port', async () => {
    const other = await LambdaApiStandIn.start({ lambda });
    const port = Number(new URL(other.url).port);
    const kept = new LambdaClient({ endpoint: other.url, region: 'local-1', credentials: { accessKeyId: 'AKIDKEPT', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      expect((await kept.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }))).StatusCode).toBe(204);
      await other.stop();
      expect(await isPortFree(port)).toBe(true);
    } finally {
      kept.destroy();
      await other.stop();
    }
  });
});
