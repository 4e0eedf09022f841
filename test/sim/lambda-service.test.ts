/**
 * The simulated Lambda service against small handlers: what AWS does around a function, which
 * the deployed stack depends on (containers reused and frozen, timeouts, error shapes,
 * concurrency, the asynchronous queue).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lambdas/core/wait.ts';
import { LAMBDA_RUNTIME } from '../../lib/function-defaults.ts';
import type { FunctionSpec } from '../../sim/lambda/function-spec.ts';
import { runtimeNode } from '../../sim/lambda/runtime-node.ts';
import { runtimeSdkPath } from '../../sim/lambda/runtime-sdk.ts';
import { LambdaService, LambdaServiceError, type LambdaServiceOptions } from '../../sim/lambda/service.ts';

/** A handler that does what the event says; counts its invocations per container. */
const HANDLER = `
let calls = 0;
let ticks = 0;
exports.handler = async (event, context) => {
  calls++;
  if (event.tick) { setInterval(() => ticks++, 10); }
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  if (event.throwName) { const error = new Error(event.message || 'failed'); error.name = event.throwName; throw error; }
  if (event.exit) process.exit(3);
  if (event.reject) { Promise.reject(new Error('nobody waits for me')); await new Promise((r) => setTimeout(r, 50)); }
  if (event.require) { require(event.require); }
  return { calls, ticks, remaining: context.getRemainingTimeInMillis(), requestId: context.awsRequestId, node: process.version, pid: process.pid, env: Object.keys(process.env).sort() };
};
`;

let codeDir: string;
let service: LambdaService | undefined;

function spec(over: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    logicalId: 'Fn',
    name: 'fn',
    arn: 'arn:aws:lambda:local-1:000000000000:function:fn',
    runtime: LAMBDA_RUNTIME.name,
    handler: 'index.handler',
    codeDir,
    timeoutMs: 2000,
    memoryMb: 128,
    environment: { FROM_TEMPLATE: 'yes' },
    reservedConcurrency: null,
    async: { maxRetryAttempts: 0, maxEventAgeMs: 60_000 },
    aliases: [],
    ...over,
  };
}

function start(...specs: FunctionSpec[]): LambdaService {
  return startWith({}, ...specs);
}

function startWith(options: Partial<LambdaServiceOptions>, ...specs: FunctionSpec[]): LambdaService {
  service = new LambdaService(specs.length ? specs : [spec()], {
    ...options,
    environment: (s) => ({ ...s.environment, _HANDLER: s.handler, LAMBDA_TASK_ROOT: s.codeDir, NODE_PATH: runtimeSdkPath(), PATH: '/usr/bin:/bin' }),
  });
  return service;
}

beforeAll(() => {
  // Outside the project: a package.json with "type": "module" above it would make the bundle ESM.
  codeDir = mkdtempSync(path.join(tmpdir(), 'redis-failover-fn-'));
  writeFileSync(path.join(codeDir, 'index.js'), HANDLER);
});

afterEach(async () => {
  await service?.stop();
  service = undefined;
});

afterAll(() => rmSync(codeDir, { recursive: true, force: true }));

describe('the Lambda runtime', () => {
  it('is the Node.js major the template names (installed by scripts/ensure-deps.sh)', () => {
    expect(LAMBDA_RUNTIME.name).toBe('nodejs24.x');
    const node = runtimeNode(LAMBDA_RUNTIME.name);
    if (process.platform === 'linux' && process.arch === 'x64') expect(node).toMatchObject({ fallback: null, version: expect.stringMatching(/^v24\./) });
  });

  it('gives the function its own environment only, and the SDK but no other package of the project', async () => {
    const lambda = start();
    const { payload } = await lambda.invoke('fn', {});
    const env = (payload as { env: string[] }).env;
    expect(env).toContain('FROM_TEMPLATE');
    expect(env.filter((key) => key.startsWith('VITEST'))).toEqual([]);
    const sdk = await lambda.invoke('fn', { require: '@aws-sdk/client-dynamodb' });
    expect(sdk.functionError).toBeNull();
    const missing = await lambda.invoke('fn', { require: 'ioredis' });
    expect(missing).toMatchObject({
      functionError: 'Unhandled',
      payload: { errorType: 'Error', errorMessage: expect.stringContaining("Cannot find module 'ioredis'") },
    });
  });
});

describe('execution environments', () => {
  it('starts one for the first invocation (a cold start), then reuses it warm', async () => {
    const lambda = start();
    const first = await lambda.invoke('fn', {});
    const second = await lambda.invoke('fn', {});
    expect(first.record).toMatchObject({ cold: true, outcome: 'ok' });
    expect(first.record.coldStartMs).toBeGreaterThan(0);
    expect(second.record).toMatchObject({ cold: false, coldStartMs: null });
    expect((second.payload as { calls: number }).calls).toBe(2);
    expect(lambda.containers('fn')).toHaveLength(1);
  });

  it('starts a function’s environments under its launcher (as `ip netns exec` puts them in a zone’s network), the pid still the function’s own', async () => {
    const lambda = startWith(
      { launcher: (s) => (s.name === 'fn' ? ['/usr/bin/env', 'LAUNCHED=yes'] : undefined) },
      spec(),
      spec({ name: 'other', arn: 'arn:aws:lambda:local-1:000000000000:function:other' }),
    );
    const launched = (await lambda.invoke('fn', {})).payload as { env: string[]; pid: number };
    const plain = (await lambda.invoke('other', {})).payload as { env: string[] };
    expect(launched.env).toContain('LAUNCHED');
    expect(plain.env).not.toContain('LAUNCHED');
    // Freezing and the timeout's kill go by pid: the launcher must have exec'd in place.
    expect(lambda.containers('fn')[0]!.pid).toBe(launched.pid);
  });

  it('freezes the environment between invocations: its timers do not run', async () => {
    const lambda = start();
    const armed = (await lambda.invoke('fn', { tick: true })).payload as { ticks: number };
    const frozenFrom = Date.now();
    await waitFor(() => Date.now() - frozenFrom >= 300, { timeoutMs: 1000, what: 'time to pass', intervalMs: 20 });
    const after = (await lambda.invoke('fn', {})).payload as { ticks: number };
    // 300 ms at a 10 ms interval would be 30 ticks; frozen, a timer fires at most once when thawed.
    expect(after.ticks - armed.ticks).toBeLessThanOrEqual(2);
  });

  it('gives the handler its deadline, and kills the environment at the timeout', async () => {
    const lambda = start(spec({ timeoutMs: 500 }));
    const quick = (await lambda.invoke('fn', {})).payload as { remaining: number; requestId: string };
    expect(quick.remaining).toBeGreaterThan(400);
    expect(quick.remaining).toBeLessThanOrEqual(500);
    expect(quick.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const slow = await lambda.invoke('fn', { sleepMs: 5000 });
    expect(slow).toMatchObject({
      functionError: 'Unhandled',
      payload: { errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 0\.50 seconds$/) },
    });
    expect(slow.record.outcome).toBe('timeout');
    expect(lambda.containers('fn')).toHaveLength(0);
    expect((await lambda.invoke('fn', {})).record.cold).toBe(true);
  });

  it('answers a thrown error in Lambda’s shape, and keeps the environment', async () => {
    const lambda = start();
    const failed = await lambda.invoke('fn', { throwName: 'StaleEpochError', message: 'epoch 3 moved on' });
    expect(failed).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'StaleEpochError', errorMessage: 'epoch 3 moved on' } });
    expect((await lambda.invoke('fn', {})).record.cold).toBe(false);
  });

  it('reports a process that exits, or an unhandled rejection, as the runtime does, and starts afresh', async () => {
    const lambda = start();
    expect(await lambda.invoke('fn', { exit: true })).toMatchObject({
      payload: { errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit status 3') },
    });
    expect(await lambda.invoke('fn', { reject: true })).toMatchObject({ payload: { errorType: 'Runtime.UnhandledPromiseRejection' } });
    expect((await lambda.invoke('fn', {})).record.cold).toBe(true);
  });

  it('fails an invocation whose handler cannot be loaded with the init error', async () => {
    const lambda = start(spec({ handler: 'index.missing' }));
    expect(await lambda.invoke('fn', {})).toMatchObject({ functionError: 'Unhandled', payload: { errorType: 'Runtime.HandlerNotFound' } });
  });

  it('recycles idle environments on demand ("after a quiet week"): the next invocation is cold', async () => {
    const lambda = start();
    await lambda.invoke('fn', {});
    expect(lambda.recycle()).toBe(1);
    expect((await lambda.invoke('fn', {})).record.cold).toBe(true);
  });
});

describe('concurrency', () => {
  it('throttles a synchronous invocation beyond the reserved concurrency (Step Functions sees Lambda.TooManyRequestsException)', async () => {
    const lambda = start(spec({ reservedConcurrency: 1 }));
    const busy = lambda.invoke('fn', { sleepMs: 300 });
    await waitFor(() => lambda.containers('fn').some((c) => c.busy), { timeoutMs: 5000, what: 'the first invocation running' });
    const refused = await lambda.invoke('fn', {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(LambdaServiceError);
    expect((refused as LambdaServiceError).name).toBe('TooManyRequestsException');
    expect((await busy).record.outcome).toBe('ok');
  });

  it('runs unreserved invocations side by side, each in its own environment', async () => {
    const lambda = start();
    const results = await Promise.all([1, 2, 3].map(() => lambda.invoke('fn', { sleepMs: 200 })));
    expect(results.every((r) => r.record.cold)).toBe(true);
    expect(lambda.containers('fn')).toHaveLength(3);
  });
});

describe('asynchronous invocation (how EventBridge Scheduler starts a function)', () => {
  it('queues a throttled event and runs it once a slot is free', async () => {
    const lambda = start(spec({ reservedConcurrency: 1 }));
    lambda.invokeAsync('fn', { sleepMs: 200 });
    lambda.invokeAsync('fn', {});
    await waitFor(() => lambda.invocations.length === 2, { timeoutMs: 10_000, what: 'both events run' });
    expect(lambda.invocations.map((i) => [i.type, i.outcome])).toEqual([
      ['async', 'ok'],
      ['async', 'ok'],
    ]);
    expect(lambda.invocations[1]!.startedAt).toBeGreaterThanOrEqual(lambda.invocations[0]!.endedAt);
    expect(lambda.dropped).toEqual([]);
  });

  it('drops an event older than its maximum age instead of running it late', async () => {
    const lambda = start(spec({ reservedConcurrency: 1, async: { maxRetryAttempts: 0, maxEventAgeMs: 500 } }));
    lambda.invokeAsync('fn', { sleepMs: 1500 });
    const late = lambda.invokeAsync('fn', {});
    await waitFor(() => lambda.dropped.length === 1, { timeoutMs: 10_000, what: 'the late event dropped' });
    expect(lambda.dropped[0]).toMatchObject({ requestId: late, reason: 'max-event-age' });
  });

  it('does not retry a failed event when EventInvokeConfig says 0 retries', async () => {
    const lambda = start();
    const id = lambda.invokeAsync('fn', { throwName: 'Error' });
    await waitFor(() => lambda.dropped.length === 1, { timeoutMs: 10_000, what: 'the failed event given up' });
    expect(lambda.dropped[0]).toMatchObject({ requestId: id, reason: 'retries-exhausted' });
    expect(lambda.invocations).toHaveLength(1);
  });
});
