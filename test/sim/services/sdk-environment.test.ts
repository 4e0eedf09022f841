/**
 * The path the simulated functions take: no endpoint in code, only the SDK's standard
 * AWS_ENDPOINT_URL_<SERVICE> variables (and the global AWS_ENDPOINT_URL as a catch-all).
 * Each client runs in a child process so the variables are read as a Lambda would read them.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startCatchAllServer } from '../../../sim/services/aws-json-server.ts';
import type { CatchAllServer } from '../../../sim/services/aws-json-server.ts';
import { TableStandIn } from '../../../sim/services/dynamodb.ts';
import { EventBridgeStandIn } from '../../../sim/services/eventbridge.ts';
import { SecretsManagerStandIn } from '../../../sim/services/secrets-manager.ts';
import { StepFunctionsStandIn } from '../../../sim/services/step-functions.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

async function catchAll(): Promise<CatchAllServer> {
  const server = await startCatchAllServer();
  stops.push(server.stop);
  return server;
}

type ChildResult = { ok: unknown } | { error: string; message: string };

/**
 * Runs `body` (an async function body returning JSON-able data) in `node` with only the given
 * AWS variables: any inherited AWS_* setting and the user's ~/.aws files are kept out.
 */
async function inChild(imports: string, body: string, aws: Record<string, string>): Promise<ChildResult> {
  const script = `${imports}
try {
  const ok = await (async () => { ${body} })();
  console.log(JSON.stringify({ ok }));
} catch (e) {
  console.log(JSON.stringify({ error: e.name, message: e.message }));
}`;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    timeout: 30_000,
    env: {
      ...inherited,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'local-1',
      AWS_SECRET_ACCESS_KEY: 'x',
      ...aws,
    },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? 'null') as ChildResult;
}

describe('the SDK reaches the stand-ins through AWS_ENDPOINT_URL_<SERVICE>', () => {
  it('EventBridge: AWS_ENDPOINT_URL_EVENTBRIDGE', async () => {
    const stray = await catchAll();
    const events = await EventBridgeStandIn.start({ buses: ['redis-failover'] });
    stops.push(events.stop);
    const result = await inChild(
      `import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';`,
      `const out = await new EventBridgeClient({}).send(new PutEventsCommand({ Entries: [{ Source: 'io.github.redis-failover', DetailType: '+switch-master', Detail: '{"master":"mymaster"}', EventBusName: 'redis-failover' }] }));
       return out.FailedEntryCount;`,
      { AWS_ENDPOINT_URL_EVENTBRIDGE: events.url, AWS_ENDPOINT_URL: stray.url, AWS_ACCESS_KEY_ID: 'AKIDSWITCH' },
    );
    expect(result).toEqual({ ok: 0 });
    expect(events.events).toMatchObject([{ detailType: '+switch-master', caller: 'AKIDSWITCH' }]);
    expect(stray.calls).toEqual([]);
  });

  it('Step Functions: AWS_ENDPOINT_URL_SFN', async () => {
    const stray = await catchAll();
    const arn = 'arn:aws:states:local-1:123456789012:stateMachine:redis-failover';
    const sfn = await StepFunctionsStandIn.start({ stateMachines: [{ arn, run: async () => ({ status: 'SUCCEEDED', output: {} }) }] });
    stops.push(sfn.stop);
    const result = await inChild(
      `import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';`,
      `const out = await new SFNClient({}).send(new StartExecutionCommand({ stateMachineArn: ${JSON.stringify(arn)}, name: 'mymaster-1', input: '{}' }));
       return out.executionArn;`,
      { AWS_ENDPOINT_URL_SFN: sfn.url, AWS_ENDPOINT_URL: stray.url, AWS_ACCESS_KEY_ID: 'AKIDPROBE1' },
    );
    expect(result).toEqual({ ok: 'arn:aws:states:local-1:123456789012:execution:redis-failover:mymaster-1' });
    await sfn.settled();
    expect(sfn.executions()).toMatchObject([{ name: 'mymaster-1', status: 'SUCCEEDED', startedBy: 'AKIDPROBE1' }]);
    expect(stray.calls).toEqual([]);
  });

  it('DynamoDB: AWS_ENDPOINT_URL_DYNAMODB, through the counting proxy', async () => {
    const stray = await catchAll();
    const table = await TableStandIn.start({
      tables: [
        { name: 'failover', keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], attributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] },
      ],
    });
    stops.push(table.stop);
    const result = await inChild(
      `import { DynamoDBClient, PutItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';`,
      `const client = new DynamoDBClient({});
       await client.send(new PutItemCommand({ TableName: 'failover', Item: { pk: { S: 'lease' } } }));
       return (await client.send(new ListTablesCommand({}))).TableNames;`,
      { AWS_ENDPOINT_URL_DYNAMODB: table.url, AWS_ENDPOINT_URL: stray.url, AWS_ACCESS_KEY_ID: 'AKIDPROBE2' },
    );
    expect(result).toEqual({ ok: ['failover'] });
    expect(table.requests({ caller: 'AKIDPROBE2' }).map((r) => r.operation)).toEqual(['PutItem', 'ListTables']);
    expect(stray.calls).toEqual([]);
  });

  it('Secrets Manager: AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
    const stray = await catchAll();
    const arn = 'arn:aws:secretsmanager:local-1:123456789012:secret:redis-AbC123';
    const secrets = await SecretsManagerStandIn.start({ secrets: { [arn]: 'pw' } });
    stops.push(secrets.stop);
    const result = await inChild(
      `import { SecretsManagerClient, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';`,
      `const out = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: ${JSON.stringify(arn)} }));
       return out.Name;`,
      { AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url, AWS_ENDPOINT_URL: stray.url, AWS_ACCESS_KEY_ID: 'AKIDRECONF' },
    );
    expect(result).toEqual({ ok: 'redis' });
    expect(secrets.reads(arn)).toBe(1);
    expect(secrets.calls).toMatchObject([{ operation: 'GetSecretValue', caller: 'AKIDRECONF' }]);
    expect(stray.calls).toEqual([]);
  });

  it('with only AWS_ENDPOINT_URL set, a call lands on the catch-all and is refused', async () => {
    const stray = await catchAll();
    const result = await inChild(
      `import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
       import { SFNClient, ListStateMachinesCommand } from '@aws-sdk/client-sfn';`,
      `const refused = [];
       for (const call of [
         () => new SFNClient({ maxAttempts: 1 }).send(new ListStateMachinesCommand({})),
         () => new EventBridgeClient({ maxAttempts: 1 }).send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })),
       ]) {
         try { await call(); refused.push('accepted?'); } catch (e) { refused.push(e.name + ': ' + e.message); }
       }
       return refused;`,
      { AWS_ENDPOINT_URL: stray.url, AWS_ACCESS_KEY_ID: 'AKIDSTRAY' },
    );
    expect(result).toEqual({
      ok: ['UnknownOperationException: not simulated: AWSStepFunctions.ListStateMachines', 'UnknownOperationException: not simulated: AWSEvents.PutEvents'],
    });
    expect(stray.calls.map((c) => [c.target, c.caller])).toEqual([
      ['AWSStepFunctions.ListStateMachines', 'AKIDSTRAY'],
      ['AWSEvents.PutEvents', 'AKIDSTRAY'],
    ]);
  });
});
