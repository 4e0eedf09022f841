import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { DescribeStateMachineCommand, ListActivitiesCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { isPortFree } from '../../../local/ports.ts';
import { AwsServiceError, callerOf, startAwsJsonServer, startCatchAllServer } from '../../../sim/services/aws-json-server.ts';
import type { AwsCall, AwsCallRecord } from '../../../sim/services/aws-json-server.ts';

const credentials = { accessKeyId: 'AKIDPROBE1', secretAccessKey: 'x' };
const stops: Array<() => Promise<void>> = [];
const clients: Array<{ destroy(): void }> = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

function sfn(url: string, accessKeyId = credentials.accessKeyId): SFNClient {
  const c = new SFNClient({ endpoint: url, region: 'local-1', credentials: { ...credentials, accessKeyId }, maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function sfnLikeServer() {
  const seen: Array<{ body: Record<string, unknown>; call: AwsCall }> = [];
  const server = await startAwsJsonServer({
    name: 'sfn-like',
    targetPrefix: 'AWSStepFunctions',
    operations: {
      ListStateMachines: (body, call) => {
        seen.push({ body, call });
        return { stateMachines: [{ stateMachineArn: 'arn:aws:states:local-1:1:stateMachine:m', name: 'm', type: 'STANDARD', creationDate: 1_700_000_000.5 }] };
      },
      DescribeStateMachine: async (body) => {
        throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      },
      ListActivities: () => {
        throw new TypeError('a bug in the stand-in');
      },
    },
  });
  stops.push(server.stop);
  return { server, seen };
}

describe('startAwsJsonServer', () => {
  it('answers an operation to the real SDK client, passing the body and the caller', async () => {
    const { server, seen } = await sfnLikeServer();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const out = await sfn(server.url).send(new ListStateMachinesCommand({ maxResults: 5 }));
    expect(out.stateMachines).toEqual([
      { stateMachineArn: 'arn:aws:states:local-1:1:stateMachine:m', name: 'm', type: 'STANDARD', creationDate: new Date(1_700_000_000_500) },
    ]);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen).toEqual([{ body: { maxResults: 5 }, call: { operation: 'ListStateMachines', caller: 'AKIDPROBE1' } }]);
  });

  it('listens on the address it is given, for functions in other networks (a partition trial’s zones)', async () => {
    // 127.0.0.0/8 is all loopback: another address of it stands for a namespace's own.
    const server = await startAwsJsonServer({
      name: 'elsewhere',
      targetPrefix: 'AWSStepFunctions',
      host: '127.0.0.2',
      operations: { ListStateMachines: () => ({ stateMachines: [] }) },
    });
    stops.push(server.stop);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect((await sfn(server.url).send(new ListStateMachinesCommand({}))).stateMachines).toEqual([]);
    const port = Number(new URL(server.url).port);
    expect(await isPortFree(port)).toBe(true); // nothing on 127.0.0.1 at that port
  });

  it('turns an AwsServiceError into the SDK error of that name, with its message and status', async () => {
    const { server } = await sfnLikeServer();
    await expect(sfn(server.url).send(new DescribeStateMachineCommand({ stateMachineArn: 'arn:x' }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: "State Machine Does Not Exist: 'arn:x'",
      $metadata: { httpStatusCode: 400 },
    });
    const custom = await startAwsJsonServer({
      name: 'custom',
      targetPrefix: 'AWSEvents',
      operations: {
        ListRules: () => {
          throw new AwsServiceError('SimulatedThrottle', 'slow down', 429);
        },
      },
    });
    stops.push(custom.stop);
    const events = new EventBridgeClient({ endpoint: custom.url, region: 'local-1', credentials, maxAttempts: 1 });
    clients.push(events);
    // A code the SDK has no class for still arrives as the error's name (awsJson1_1 here).
    await expect(events.send(new ListRulesCommand({}))).rejects.toMatchObject({
      name: 'SimulatedThrottle',
      message: 'slow down',
      $metadata: { httpStatusCode: 429 },
    });
  });

  it('answers UnknownOperationException for an operation it does not have', async () => {
    const { server } = await sfnLikeServer();
    const raw = await fetch(server.url, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSStepFunctions.StopExecution', 'Content-Type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await raw.json()).toEqual({ __type: 'UnknownOperationException', message: 'sfn-like does not simulate AWSStepFunctions.StopExecution' });
    // Inherited names are not operations.
    const inherited = await fetch(server.url, { method: 'POST', headers: { 'X-Amz-Target': 'AWSStepFunctions.constructor' }, body: '{}' });
    expect(((await inherited.json()) as { __type: string }).__type).toBe('UnknownOperationException');
    // Nor is another service's target.
    const events = new EventBridgeClient({ endpoint: server.url, region: 'local-1', credentials, maxAttempts: 1 });
    clients.push(events);
    await expect(events.send(new ListRulesCommand({}))).rejects.toMatchObject({ name: 'UnknownOperationException' });
    expect(server.calls.map((c) => c.operation)).toEqual(['StopExecution', 'constructor', 'AWSEvents.ListRules']);
  });

  it('answers SerializationException for a body that is not a JSON object, and 500 InternalFailure for its own bugs', async () => {
    const { server } = await sfnLikeServer();
    const post = (body: string) => fetch(server.url, { method: 'POST', headers: { 'X-Amz-Target': 'AWSStepFunctions.ListStateMachines' }, body });
    for (const body of ['{not json', '[1,2]']) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { __type: string }).__type).toBe('SerializationException');
    }
    await expect(sfn(server.url).send(new ListActivitiesCommand({}))).rejects.toMatchObject({ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } });
  });

  it('records every call with its caller and time, and tells listeners', async () => {
    const { server } = await sfnLikeServer();
    const heard: AwsCallRecord[] = [];
    const unsubscribe = server.onCall((c) => heard.push(c));
    const t0 = Date.now();
    await sfn(server.url, 'AKIDSWITCH').send(new ListStateMachinesCommand({}));
    await fetch(server.url, { method: 'POST', headers: { 'X-Amz-Target': 'AWSStepFunctions.ListStateMachines' }, body: '{}' }); // unsigned
    unsubscribe();
    await sfn(server.url).send(new ListStateMachinesCommand({}));
    expect(server.calls.map((c) => [c.operation, c.caller])).toEqual([
      ['ListStateMachines', 'AKIDSWITCH'],
      ['ListStateMachines', null],
      ['ListStateMachines', 'AKIDPROBE1'],
    ]);
    expect(server.calls.every((c) => c.time >= t0 && c.time <= Date.now())).toBe(true);
    expect(heard).toEqual(server.calls.slice(0, 2));
  });

  it('stop() closes the open keep-alive sockets and frees the port', async () => {
    const { server } = await sfnLikeServer();
    const port = Number(new URL(server.url).port);
    await sfn(server.url).send(new ListStateMachinesCommand({}));
    expect(await isPortFree(port)).toBe(false);
    await server.stop();
    expect(await isPortFree(port)).toBe(true);
    await server.stop();
  });
});

describe('callerOf', () => {
  it('takes the access key id from a SigV4 Authorization header', () => {
    expect(callerOf('AWS4-HMAC-SHA256 Credential=AKIDPROBE1/20300102/local-1/states/aws4_request, SignedHeaders=host, Signature=abc')).toBe('AKIDPROBE1');
    expect(callerOf(undefined)).toBeNull();
    expect(callerOf('Bearer token')).toBeNull();
  });
});

describe('startCatchAllServer', () => {
  it('refuses and records any call, naming the target or method and path', async () => {
    const catchAll = await startCatchAllServer();
    stops.push(catchAll.stop);
    await expect(sfn(catchAll.url, 'AKIDSTRAY').send(new ListStateMachinesCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: 'not simulated: AWSStepFunctions.ListStateMachines',
      $metadata: { httpStatusCode: 400 },
    });
    const raw = await fetch(`${catchAll.url}/some-bucket/key?x=1`);
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ __type: 'UnknownOperationException', message: 'not simulated: GET /some-bucket/key?x=1' });
    expect(catchAll.calls).toMatchObject([
      { target: 'AWSStepFunctions.ListStateMachines', method: 'POST', path: '/', caller: 'AKIDSTRAY' },
      { target: null, method: 'GET', path: '/some-bucket/key?x=1', caller: null },
    ]);
  });

  it('stop() frees the port', async () => {
    const catchAll = await startCatchAllServer();
    const port = Number(new URL(catchAll.url).port);
    await fetch(catchAll.url);
    expect(await isPortFree(port)).toBe(false);
    await catchAll.stop();
    expect(await isPortFree(port)).toBe(true);
  });
});
