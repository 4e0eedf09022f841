/// <reference path="../../local/dynalite.d.ts" />
/**
 * DynamoDB for the simulation: dynalite in memory holds the tables, and a pass-through proxy
 * in front of it is what the functions talk to, so the simulation can count each function's
 * requests (by access key) and make the table refuse, fail or hang the way a real outage
 * looks to the SDK. The simulator's own client goes to dynalite directly, around the faults.
 */
import { Agent, createServer, request } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AttributeDefinition, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { sleep } from '../../lambdas/core/wait.ts';
import { listenOnLoopback, type LoopbackListener } from '../../local/loopback.ts';
import { callerOf, readBody, sendJson } from './aws-json-server.ts';

export interface SimTable {
  readonly name: string;
  readonly keySchema: KeySchemaElement[];
  readonly attributeDefinitions: AttributeDefinition[];
}

export interface TableStandInOptions {
  readonly tables: readonly SimTable[];
  /** The address to listen on. @default '127.0.0.1' */
  readonly host?: string;
}

/**
 * - none: pass through
 * - refuse: each new request's socket is destroyed at once (a network error)
 * - error: HTTP 500 InternalServerError
 * - hang: never answered (the client's own timeout must fire)
 */
export type TableFault = 'none' | 'refuse' | 'error' | 'hang';

export interface TableRequest {
  /** `X-Amz-Target` without `DynamoDB_20120810.`, e.g. 'GetItem'. */
  readonly operation: string;
  readonly caller: string | null;
  /** Epoch ms at arrival. */
  readonly at: number;
}

export interface TableStandIn {
  /** The proxy's URL: what the functions are given. */
  readonly url: string;
  /** Every request that reached the proxy, faulted or not. `since` is inclusive (epoch ms). */
  requests(filter?: { readonly caller?: string; readonly since?: number }): TableRequest[];
  /** Applies to requests arriving from now on; requests already hanging stay so until stop(). */
  fail(mode: TableFault): void;
  /** One shared client straight to dynalite (not through the proxy, so no faults): dummy credentials, region local-1; stop() destroys it. */
  client(): DynamoDBClient;
  stop(): Promise<void>;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
/** Hop-by-hop: they describe one connection, not the request, so the proxy does not forward them. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

async function listenDynalite(): Promise<LoopbackListener> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  return listenOnLoopback(server);
}

async function createTables(client: DynamoDBClient, tables: readonly SimTable[], timeoutMs = 10_000): Promise<void> {
  for (const table of tables) {
    await client.send(
      new CreateTableCommand({
        TableName: table.name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: table.keySchema,
        AttributeDefinitions: table.attributeDefinitions,
      }),
    );
  }
  // dynalite answers CREATING first, even with createTableMs 0.
  const deadline = Date.now() + timeoutMs;
  for (const table of tables) {
    for (;;) {
      const out = await client.send(new DescribeTableCommand({ TableName: table.name }));
      if (out.Table?.TableStatus === 'ACTIVE') break;
      if (Date.now() > deadline) throw new Error(`table ${table.name} not ACTIVE after ${timeoutMs} ms`);
      await sleep(10);
    }
  }
}

export const TableStandIn = {
  async start(options: TableStandInOptions): Promise<TableStandIn> {
    const store = await listenDynalite();
    const direct = new DynamoDBClient({
      endpoint: store.url,
      region: 'local-1',
      credentials: { accessKeyId: 'SIMULATOR', secretAccessKey: 'local' },
    });
    const agent = new Agent({ keepAlive: true });
    const log: TableRequest[] = [];
    const hanging = new Set<Socket>();
    let mode: TableFault = 'none';
    /** Requests dynalite is working on: it must not be closed under them (it throws from inside). */
    let inFlight = 0;

    const forward = (req: IncomingMessage, res: ServerResponse): void => {
      const upstream = request({ host: '127.0.0.1', port: store.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
      });
      // Counted until dynalite is done with it, whatever the client does meanwhile.
      inFlight++;
      upstream.once('close', () => inFlight--);
      // dynalite gone mid-request: the client sees its connection drop, as with a dead endpoint.
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const target = req.headers['x-amz-target'];
      const operation =
        typeof target === 'string' ? (target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target) : `${req.method ?? '?'} ${req.url ?? ''}`;
      log.push({ operation, caller: callerOf(req.headers.authorization), at: Date.now() });
      switch (mode) {
        case 'none':
          forward(req, res);
          return;
        case 'refuse':
          req.socket.destroy();
          return;
        case 'hang':
          hanging.add(req.socket);
          req.socket.once('close', () => hanging.delete(req.socket));
          req.resume(); // the body is taken, the answer never comes
          return;
        case 'error':
          await readBody(req);
          sendJson(res, 500, 'application/x-amz-json-1.0', {
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'Internal server error (simulated).',
          });
          return;
      }
    };
    const proxyServer = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
    const proxy = await listenOnLoopback(proxyServer, options.host);

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        direct.destroy();
        for (const socket of hanging) socket.destroy();
        await proxy.stop();
        const deadline = Date.now() + 2000;
        while (inFlight > 0 && Date.now() < deadline) await sleep(10);
        agent.destroy();
        await store.stop();
      })();
      return stopped;
    };

    try {
      await createTables(direct, options.tables);
    } catch (error) {
      await stop();
      throw error;
    }

    return {
      url: proxy.url,
      requests(filter = {}) {
        return log.filter((r) => (filter.caller === undefined || r.caller === filter.caller) && (filter.since === undefined || r.at >= filter.since));
      },
      fail(next) {
        mode = next;
      },
      client: () => direct,
      stop,
    };
  },
};
