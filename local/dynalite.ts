/// <reference path="./dynalite.d.ts" />
/**
 * The local table: dynalite in memory on a loopback port the OS picks.
 * The client carries dummy credentials and an explicit endpoint, so the SDK never
 * looks for real AWS credentials and never reaches a real AWS endpoint.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { listenOnLoopback } from './loopback.ts';

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Closes the client's sockets and the server; the port is free afterwards. */
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const listener = await listenOnLoopback(dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
  const endpoint = listener.url;
  const client = new DynamoDBClient({
    endpoint,
    region: 'local-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stop = async (): Promise<void> => {
    client.destroy();
    await listener.stop();
  };
  return { endpoint, client, stop };
}
