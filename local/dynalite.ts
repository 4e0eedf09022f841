/// <reference path="./dynalite.d.ts" />
/**
 * The local table: dynalite in memory on a loopback port the OS picks.
 * The client carries dummy credentials and an explicit endpoint, so the SDK never
 * looks for real AWS credentials and never reaches a real AWS endpoint.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Closes the client's sockets and the server; the port is free afterwards. */
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve, reject) => {
      client.destroy();
      // Keep-alive sockets would hold close() open; the client is gone, so drop them.
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
    return stopped;
  };
  return { endpoint, client, stop };
}
