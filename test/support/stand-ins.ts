/**
 * What the AWS stand-in tests share: the stand-ins and SDK clients a test starts, all stopped
 * after it, and a client the way a simulated function has one (its own access key, one attempt).
 */
import { afterEach } from 'vitest';

interface SdkClientOptions {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly maxAttempts: number;
}

export interface StandInLifecycle {
  /** Awaits a stand-in's start; it is stopped after the test. */
  start<T extends { stop(): Promise<void> }>(starting: Promise<T>): Promise<T>;
  /** An SDK client pointed at `url`, calling as `accessKeyId`; destroyed after the test. `extra` adds settings. */
  client<C extends { destroy(): void }, E extends object = object>(
    Client: new (options: SdkClientOptions & E) => C,
    url: string,
    accessKeyId?: string,
    extra?: E,
  ): C;
}

export function standInLifecycle(): StandInLifecycle {
  const clients: Array<{ destroy(): void }> = [];
  const started: Array<{ stop(): Promise<void> }> = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  return {
    async start(starting) {
      const standIn = await starting;
      started.push(standIn);
      return standIn;
    },
    client(Client, url, accessKeyId = 'AKIDPROBE1', extra) {
      const client = new Client({
        endpoint: url,
        region: 'local-1',
        credentials: { accessKeyId, secretAccessKey: 'x' },
        maxAttempts: 1,
        ...(extra as object),
      } as SdkClientOptions & NonNullable<typeof extra>);
      clients.push(client);
      return client;
    },
  };
}
